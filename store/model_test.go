package store

import (
	"slices"
	"testing"
)

func TestModelNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		model string
		want  []string
	}{
		{"gpt-4o-mini", []string{"gpt-4o-mini"}},
		{"gpt-4o-mini-2024-07-18", []string{"gpt-4o-mini-2024-07-18", "gpt-4o-mini"}},
		{"GPT-4o-2024-08-06", []string{"gpt-4o-2024-08-06", "gpt-4o"}},
		{"claude-sonnet-4-5-20250929", []string{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"}},
		{"claude-3-5-haiku@20241022", []string{"claude-3-5-haiku@20241022", "claude-3-5-haiku"}},
		{"claude-3-5-sonnet-20240620-v1:0", []string{"claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet-20240620", "claude-3-5-sonnet"}},
		{"gemini-2.5-flash-001", []string{"gemini-2.5-flash-001", "gemini-2.5-flash"}},
		{"gemini-2.5-flash-preview-05-20", []string{"gemini-2.5-flash-preview-05-20", "gemini-2.5-flash-preview"}},
		{"gpt-4-0613", []string{"gpt-4-0613", "gpt-4"}},
		{"claude-opus-4-0", []string{"claude-opus-4-0", "claude-opus-4"}},
		{"claude-opus-4-7", []string{"claude-opus-4-7"}},
		{"gpt-4o-audio-preview", []string{"gpt-4o-audio-preview"}},
		{"o3-mini", []string{"o3-mini"}},
		{"  ", nil},
		{"", nil},
	}
	for _, tt := range tests {
		// Twice, the second answer from the cache; a caller changing the
		// first must not change the second.
		first := ModelNames(tt.model)
		if !slices.Equal(first, tt.want) {
			t.Errorf("ModelNames(%q) = %q, want %q", tt.model, first, tt.want)
		}
		if len(first) > 0 {
			first[0] = "changed"
		}
		if got := ModelNames(tt.model); !slices.Equal(got, tt.want) {
			t.Errorf("ModelNames(%q) again = %q, want %q", tt.model, got, tt.want)
		}
	}
}

func TestIsReleaseSuffix(t *testing.T) {
	t.Parallel()
	for rest, want := range map[string]bool{
		"-2024-08-06": true, "-20250929": true, "@20250929": true, "-001": true, "-latest": true,
		"-0": true, "-v2:0": true, "-0613": true, "-05-20": true,
		"": false, "-mini": false, "-7": false, "-audio-preview": false, "-12345": false,
	} {
		if got := IsReleaseSuffix(rest); got != want {
			t.Errorf("IsReleaseSuffix(%q) = %v, want %v", rest, got, want)
		}
	}
}

func TestSpanModelKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		model, request string
		want           []string
	}{
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini", []string{"gpt-4o-mini", "gpt-4o-mini-2024-07-18"}},
		{"", "claude-sonnet-4-5", []string{"claude-sonnet-4-5"}},
		{"gpt-4o-2024-08-06", "my-alias", []string{"gpt-4o", "gpt-4o-2024-08-06", "my-alias"}},
		{"", "", []string{}},
	}
	for _, tt := range tests {
		if got := SpanModelKeys(tt.model, tt.request); !slices.Equal(got, tt.want) {
			t.Errorf("SpanModelKeys(%q, %q) = %q, want %q", tt.model, tt.request, got, tt.want)
		}
	}
	// A filter finds a release by its name, never a longer name.
	for _, tt := range []struct {
		filter, model string
		match         bool
	}{
		{"gpt-4o-mini", "gpt-4o-mini-2024-07-18", true},
		{"GPT-4o-Mini ", "gpt-4o-mini-2024-07-18", true},
		{"claude-sonnet-4-5", "claude-sonnet-4-5-20250929", true},
		{"gpt-4o", "gpt-4o-mini", false},
		{"gpt-4o", "gpt-4o-mini-2024-07-18", false},
		{"claude-opus-4", "claude-opus-4-1-20250805", false},
	} {
		if got := slices.Contains(SpanModelKeys(tt.model, ""), ModelKey(tt.filter)); got != tt.match {
			t.Errorf("filter %q on %q: match %v, want %v", tt.filter, tt.model, got, tt.match)
		}
	}
}
