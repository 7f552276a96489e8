package tracium

import (
	"context"
	"encoding/hex"
	"net/http"
)

// TraceparentHeader is the W3C trace context header that Inject writes
// and Extract reads.
const TraceparentHeader = "traceparent"

const (
	traceparentLen = 55 // "00-" + 32 + "-" + 16 + "-" + 2
	flagSampled    = 0x01
)

// Traceparent returns the W3C traceparent value for the span ctx carries
// (of an ExternalTracer when its span started last), or "" when it
// carries none: what a job queue or an RPC framework stores
// beside a message so that its consumer continues the trace (see
// ContextWithTraceparent).
func Traceparent(ctx context.Context) string {
	t, s, sampled, ok := currentIDs(ctx)
	if !ok {
		return ""
	}
	return formatTraceparent(t, s, sampled)
}

// ContextWithTraceparent returns a copy of ctx that carries the remote
// parent named by a traceparent value, as Extract does for a header. An
// empty or malformed value gives ctx unchanged.
func ContextWithTraceparent(ctx context.Context, traceparent string) context.Context {
	t, s, sampled, ok := parseTraceparent(traceparent)
	if !ok {
		return ctx
	}
	return contextWithRemote(ctx, t, s, sampled)
}

func contextWithRemote(ctx context.Context, t traceID, s spanID, sampled bool) context.Context {
	remote := &Span{remote: true, id: s, ended: true}
	remote.own = traceState{id: t, sampled: sampled}
	remote.ts = &remote.own
	return contextWithSpan(ctx, remote)
}

// Inject writes the traceparent header for the span ctx carries into h,
// so that the service receiving the request continues the trace. It does
// nothing when ctx carries no span. Safe for concurrent use on distinct
// headers.
func Inject(ctx context.Context, h http.Header) {
	if h == nil {
		return
	}
	if t, s, sampled, ok := currentIDs(ctx); ok {
		h.Set(TraceparentHeader, formatTraceparent(t, s, sampled))
	}
}

func formatTraceparent(t traceID, s spanID, sampled bool) string {
	var b [traceparentLen]byte
	copy(b[:], "00-")
	hex.Encode(b[3:35], t[:])
	b[35] = '-'
	hex.Encode(b[36:52], s[:])
	b[52] = '-'
	b[53] = '0'
	b[54] = '0'
	if sampled {
		b[54] = '1'
	}
	return string(b[:])
}

// Extract reads a traceparent header from h and returns a copy of ctx
// that carries it as a remote parent: spans started under the result
// continue that trace, with the remote span as their parent, and follow
// its sampled flag. A missing, repeated or malformed header is ignored and
// ctx is returned unchanged.
func Extract(ctx context.Context, h http.Header) context.Context {
	if h == nil {
		return ctx
	}
	values := h.Values(TraceparentHeader)
	if len(values) != 1 {
		return ctx
	}
	return ContextWithTraceparent(ctx, values[0])
}

// parseTraceparent validates a traceparent value as the W3C Trace Context
// specification requires: lowercase hex, version ff forbidden, version 00
// exactly 55 characters, later versions allowed to append "-" and more,
// and all-zero ids invalid.
func parseTraceparent(v string) (t traceID, s spanID, sampled bool, ok bool) {
	if len(v) < traceparentLen {
		return t, s, false, false
	}
	var version [1]byte
	if !parseHexID(version[:], v[0:2]) || version[0] == 0xff {
		return t, s, false, false
	}
	if version[0] == 0 && len(v) != traceparentLen {
		return t, s, false, false
	}
	if len(v) > traceparentLen && v[traceparentLen] != '-' {
		return t, s, false, false
	}
	if v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return t, s, false, false
	}
	var flags [1]byte
	if !parseHexID(t[:], v[3:35]) || !parseHexID(s[:], v[36:52]) || !parseHexID(flags[:], v[53:55]) {
		return t, s, false, false
	}
	if !t.isValid() || !s.isValid() {
		return t, s, false, false
	}
	return t, s, flags[0]&flagSampled != 0, true
}
