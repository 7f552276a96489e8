package tracium

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"sync"
)

// TraceID and SpanID are kept as bytes on the hot path and hex-encoded
// only by the exporter, which appends them into a reused buffer.
type (
	traceID [16]byte
	spanID  [8]byte
)

func (t traceID) isValid() bool { return t != traceID{} }
func (s spanID) isValid() bool  { return s != spanID{} }

// String is the W3C form: 32 lowercase hex digits.
func (t traceID) String() string { return hex.EncodeToString(t[:]) }

// String is the W3C form: 16 lowercase hex digits.
func (s spanID) String() string { return hex.EncodeToString(s[:]) }

// idSources hands each goroutine its own ChaCha8 stream: a shared
// generator would need a lock on every span start, and crypto/rand per id
// costs a system call's worth of time. Each stream is seeded from
// crypto/rand so ids from different processes do not collide.
var idSources = sync.Pool{New: func() any {
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		// crypto/rand does not fail on supported platforms; fall back to
		// the runtime's randomly seeded generator rather than panic.
		for i := 0; i < len(seed); i += 8 {
			binary.LittleEndian.PutUint64(seed[i:], rand.Uint64())
		}
	}
	return rand.NewChaCha8(seed)
}}

func newTraceID() traceID {
	src := idSources.Get().(*rand.ChaCha8)
	var t traceID
	for !t.isValid() {
		binary.LittleEndian.PutUint64(t[:8], src.Uint64())
		binary.LittleEndian.PutUint64(t[8:], src.Uint64())
	}
	idSources.Put(src)
	return t
}

func newSpanID() spanID {
	src := idSources.Get().(*rand.ChaCha8)
	var s spanID
	for !s.isValid() {
		binary.LittleEndian.PutUint64(s[:], src.Uint64())
	}
	idSources.Put(src)
	return s
}

// parseHexID decodes exactly len(dst)*2 lowercase hex digits; W3C trace
// context forbids upper case, so it is refused rather than normalised.
func parseHexID(dst []byte, s string) bool {
	if len(s) != len(dst)*2 {
		return false
	}
	for i := range dst {
		hi, ok1 := hexNibble(s[2*i])
		lo, ok2 := hexNibble(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func hexNibble(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
