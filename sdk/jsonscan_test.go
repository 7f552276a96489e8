package tracium

import (
	"encoding/json"
	"testing"
)

// FuzzScanValue checks the scanner against encoding/json's validator.
func FuzzScanValue(f *testing.F) {
	for _, s := range []string{openAIChatResponse, anthropicResponse, geminiResponse, responsesResponse,
		`"a\u00e9\"\\"`, `-0.5e+3`, `[1,[2,{"a":null}],true,false]`, `{"a":1,}`, `01`, `"\x01"`, `[1 2]`, `"\uZZZZ"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end, ok := scanValue(b, 0, 0)
		got := ok && skipWS(b, end) == len(b)
		if want := json.Valid(b); got != want {
			t.Errorf("scanValue(%q) valid = %t, json.Valid = %t", b, got, want)
		}
	})
}
