package storetest

import (
	"bytes"
	json "encoding/json"
	"testing"
)

// compactJSON re-encodes b with sorted keys and no spaces.
func compactJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	out, _ := json.Marshal(v)
	return bytes.TrimSpace(out)
}
