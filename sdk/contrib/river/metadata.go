package traciumriver

import (
	"bytes"
	"encoding/json"
)

// metadataKey holds the traceparent in a job's metadata. It is not plain
// "traceparent", which OpenTelemetry's otelriver writes: a program using
// both keeps both traces whole.
const metadataKey = "tracium_traceparent"

var quotedKey = []byte(`"` + metadataKey + `"`)

// withTraceparent returns a copy of the metadata object with metadataKey
// set to tp, last, so that it wins over an earlier copy of the key (a job
// inserted with the metadata of another): PostgreSQL's jsonb and
// encoding/json both keep the last of repeated keys. Metadata that is not
// a JSON object is left alone (ok false); empty metadata becomes an
// object. tp is a traceparent, which needs no JSON escaping.
func withTraceparent(metadata []byte, tp string) (out []byte, ok bool) {
	trimmed := bytes.TrimSpace(metadata)
	if len(trimmed) == 0 {
		trimmed = []byte("{}")
	}
	if len(trimmed) < 2 || trimmed[0] != '{' || trimmed[len(trimmed)-1] != '}' {
		return metadata, false
	}
	body := bytes.TrimSpace(trimmed[1 : len(trimmed)-1])
	out = make([]byte, 0, len(trimmed)+len(quotedKey)+len(tp)+4)
	out = append(out, trimmed[:len(trimmed)-1]...)
	if len(body) > 0 {
		out = append(out, ',')
	}
	out = append(out, quotedKey...)
	out = append(out, ':', '"')
	out = append(out, tp...)
	out = append(out, '"', '}')
	return out, true
}

// traceparentOf reads metadataKey from a job's metadata; "" when absent
// or unreadable. The byte search first spares the JSON decoder the jobs
// inserted outside any trace.
func traceparentOf(metadata []byte) string {
	if !bytes.Contains(metadata, quotedKey) {
		return ""
	}
	var md struct {
		Traceparent string `json:"tracium_traceparent"`
	}
	if json.Unmarshal(metadata, &md) != nil {
		return ""
	}
	return md.Traceparent
}
