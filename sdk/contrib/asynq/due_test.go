package traciumasynq

import (
	"testing"
	"time"
)

func TestParseDue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
	}{
		{"1700000000123456789", time.Unix(0, 1700000000123456789)},
		{"", time.Time{}},
		{"0", time.Time{}},
		{"-5", time.Time{}},
		{"soon", time.Time{}},
		{"99999999999999999999", time.Time{}},
	}
	for _, tt := range tests {
		if got := parseDue(tt.in); !got.Equal(tt.want) {
			t.Errorf("parseDue(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseDue(f *testing.F) {
	f.Add("1700000000123456789")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if d := parseDue(s); !d.IsZero() && d.UnixNano() <= 0 {
			t.Fatalf("parseDue(%q) = %v", s, d)
		}
	})
}
