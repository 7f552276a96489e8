package traciumriver

import (
	"encoding/json"
	"testing"
)

const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestWithTraceparent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", `{"tracium_traceparent":"` + tp + `"}`, true},
		{"{}", `{"tracium_traceparent":"` + tp + `"}`, true},
		{" { } ", `{ "tracium_traceparent":"` + tp + `"}`, true},
		{`{"tenant": "acme"}`, `{"tenant": "acme","tracium_traceparent":"` + tp + `"}`, true},
		{`{"tracium_traceparent":"old"}`, `{"tracium_traceparent":"old","tracium_traceparent":"` + tp + `"}`, true},
		{`[1]`, `[1]`, false},
		{`null`, `null`, false},
		{`"}"`, `"}"`, false},
		{`}`, `}`, false},
	}
	for _, tt := range tests {
		got, ok := withTraceparent([]byte(tt.in), tp)
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("withTraceparent(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestWithTraceparentLeavesInputAlone(t *testing.T) {
	t.Parallel()
	in := make([]byte, 2, 64)
	copy(in, "{}")
	if _, ok := withTraceparent(in, tp); !ok || string(in[:cap(in)][:2]) != "{}" || string(in[:cap(in)][2:4]) != "\x00\x00" {
		t.Errorf("withTraceparent wrote into its input's spare capacity: %q", in[:cap(in)])
	}
}

func TestTraceparentOf(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"tracium_traceparent":"` + tp + `"}`, tp},
		{`{"tracium_traceparent": "` + tp + `", "tenant": "acme"}`, tp}, // jsonb's spacing
		{`{"tracium_traceparent":"old","tracium_traceparent":"` + tp + `"}`, tp},
		{`{"traceparent":"` + tp + `"}`, ""},
		{`{"note":"\"tracium_traceparent\""}`, ""},
		{`{"tracium_traceparent":`, ""},
		{``, ""},
	}
	for _, tt := range tests {
		if got := traceparentOf([]byte(tt.in)); got != tt.want {
			t.Errorf("traceparentOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzMetadata: a traceparent added to any JSON object reads back, the
// object's other keys are kept, and no input makes either function panic.
func FuzzMetadata(f *testing.F) {
	for _, s := range []string{"", "{}", `{"a":1}`, `{"tracium_traceparent":"x"}`, `[]`, `{"a":{"b":[1,2]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		_ = traceparentOf(in)
		out, ok := withTraceparent(in, tp)
		var obj map[string]json.RawMessage
		if json.Unmarshal(in, &obj) != nil || obj == nil {
			return
		}
		if !ok {
			t.Fatalf("withTraceparent(%q) refused a JSON object", in)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("withTraceparent(%q) = %q, not JSON: %v", in, out, err)
		}
		if traceparentOf(out) != tp {
			t.Fatalf("traceparentOf(withTraceparent(%q)) = %q", in, traceparentOf(out))
		}
		for k := range obj {
			if _, ok := got[k]; !ok {
				t.Fatalf("key %q lost: %q", k, out)
			}
		}
	})
}
