// Package batch is the one definition of what a message on the span
// stream holds: a batch of spans and scores that ingest accepted, in a
// binary encoding that the writer reads without parsing the spans' JSON
// again.
//
// # The encoding
//
// A payload starts with a version byte (Version, 1 today), then the number
// of spans as a uvarint, then each span:
//
//   - its text: a uvarint length, then that many bytes holding, each as a
//     uvarint length and its bytes, the trace id, span id, parent span id,
//     name, type, status, error type, error message, model, request
//     model, provider, agent name, user id and session id, then the number
//     of tags and each tag the same way;
//   - its start and end times, as varints of microseconds since the Unix
//     epoch (Span.Normalize's precision);
//   - a flags byte saying which of usage, cost and time to first token it
//     has (1, 2, 4), then the six token counts as varints, the cost and
//     the time to first token as little-endian IEEE 754 doubles, each when
//     present;
//   - its input, output, raw input, raw output, attributes and metadata,
//     each as a uvarint of its length plus one (0 for none) and its bytes,
//     the JSON as ingest received it.
//
// Then the number of scores as a uvarint, and each score as a uvarint
// length and its JSON (store.Score's encoding): scores are few and small.
//
// The spans and scores were normalised and validated by ingest before
// they were encoded (Batch.Validated). A payload whose first byte is '{'
// or JSON white space is a JSON batch, {"spans":[...],"scores":[...]}, as
// earlier versions of the collector queued and as dead letters are kept:
// Decode reads it too, unvalidated. Any other first byte is a version this collector does not
// know; such a batch is refused, never misread.
package batch

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/tracium/tracium/store"
)

// Version is the first byte of a payload in the encoding above.
const Version = 1

// headerRoom bounds the bytes a payload has besides its spans.
const headerRoom = 1 + binary.MaxVarintLen64

// Flags of a span's optional numbers.
const (
	hasUsage = 1 << iota
	hasCost
	hasTTFT
)

// Encode returns the payload of spans, which must be as Span.Normalize
// leaves them (their times are kept to the microsecond), and scores.
func Encode(spans []store.Span, scores []store.Score) ([]byte, error) {
	enc, err := encodeScores(scores)
	if err != nil {
		return nil, err
	}
	size := 2 * headerRoom
	for i := range spans {
		size += encodedSize(&spans[i])
	}
	for _, e := range enc {
		size += uvarintLen(len(e)) + len(e)
	}
	return encode(make([]byte, 0, size), spans, enc), nil
}

// Chunks encodes spans and scores as payloads of at most limit bytes
// each, in order, spans first; a span or score that alone is larger than
// limit goes in a payload of its own.
func Chunks(spans []store.Span, scores []store.Score, limit int) ([][]byte, error) {
	chunks, _, err := AppendChunks(nil, spans, scores, limit)
	return chunks, err
}

// AppendChunks is Chunks with the payloads laid out one after another in
// buf's capacity, or in a new buffer when that lacks room; it returns them
// and the buffer that holds them, which the caller may reuse once done
// with the payloads. A publisher that copies what it sends can so encode
// request after request without allocating, or clearing, new memory.
func AppendChunks(buf []byte, spans []store.Span, scores []store.Score, limit int) ([][]byte, []byte, error) {
	enc, err := encodeScores(scores)
	if err != nil {
		return nil, buf, err
	}
	type bounds struct{ lo, hi, slo, shi, size int }
	var plan []bounds
	total := 0
	lo, slo := 0, 0 // the first span and score of the next chunk
	for lo < len(spans) || slo < len(enc) || len(plan) == 0 {
		hi, shi, size := lo, slo, 2*headerRoom
		for hi < len(spans) {
			n := encodedSize(&spans[hi])
			if hi > lo && size+n > limit {
				break
			}
			size += n
			hi++
		}
		for hi == len(spans) && shi < len(enc) {
			n := uvarintLen(len(enc[shi])) + len(enc[shi])
			if (hi > lo || shi > slo) && size+n > limit {
				break
			}
			size += n
			shi++
		}
		plan = append(plan, bounds{lo, hi, slo, shi, size})
		total += size
		lo, slo = hi, shi
	}
	if cap(buf) < total {
		buf = make([]byte, 0, total)
	}
	buf = buf[:0]
	chunks := make([][]byte, len(plan))
	for i, p := range plan {
		// size bounds the chunk, so it is encoded in place.
		at := len(buf)
		chunks[i] = encode(buf[at:at:at+p.size], spans[p.lo:p.hi], enc[p.slo:p.shi])
		if len(chunks[i]) <= p.size {
			buf = buf[:at+len(chunks[i])]
		}
	}
	return chunks, buf, nil
}

func encodeScores(scores []store.Score) ([][]byte, error) {
	enc := make([][]byte, len(scores))
	for i, sc := range scores {
		b, err := json.Marshal(sc)
		if err != nil {
			return nil, fmt.Errorf("encode score %d: %w", i, err)
		}
		enc[i] = b
	}
	return enc, nil
}

func encode(b []byte, spans []store.Span, scores [][]byte) []byte {
	b = append(b, Version)
	b = binary.AppendUvarint(b, uint64(len(spans)))
	for i := range spans {
		b = appendSpan(b, &spans[i])
	}
	b = binary.AppendUvarint(b, uint64(len(scores)))
	for _, sc := range scores {
		b = binary.AppendUvarint(b, uint64(len(sc)))
		b = append(b, sc...)
	}
	return b
}

// texts lists a span's text fields in their encoded order.
func texts(s *store.Span) [14]*string {
	return [...]*string{&s.TraceID, &s.SpanID, &s.ParentSpanID, &s.Name, (*string)(&s.Type), (*string)(&s.Status),
		&s.ErrorType, &s.ErrorMessage, &s.Model, &s.RequestModel, &s.Provider, &s.AgentName, &s.UserID, &s.SessionID}
}

// payloads lists a span's JSON fields in their encoded order.
func payloads(s *store.Span) [6]*json.RawMessage {
	return [...]*json.RawMessage{&s.Input, &s.Output, &s.RawInput, &s.RawOutput, &s.Attributes, &s.Metadata}
}

func textSize(s *store.Span) int {
	n := 0
	for _, t := range texts(s) {
		n += uvarintLen(len(*t)) + len(*t)
	}
	n += uvarintLen(len(s.Tags))
	for _, t := range s.Tags {
		n += uvarintLen(len(t)) + len(t)
	}
	return n
}

// encodedSize is an upper bound of the bytes appendSpan adds for s.
func encodedSize(s *store.Span) int {
	t := textSize(s)
	n := uvarintLen(t) + t + 2*binary.MaxVarintLen64 + 1 + 6*binary.MaxVarintLen64 + 16
	for _, p := range payloads(s) {
		n += uvarintLen(len(*p)+1) + len(*p)
	}
	return n
}

func appendSpan(b []byte, s *store.Span) []byte {
	b = binary.AppendUvarint(b, uint64(textSize(s)))
	for _, t := range texts(s) {
		b = appendString(b, *t)
	}
	b = binary.AppendUvarint(b, uint64(len(s.Tags)))
	for _, t := range s.Tags {
		b = appendString(b, t)
	}
	b = binary.AppendVarint(b, s.StartTime.UnixMicro())
	b = binary.AppendVarint(b, s.EndTime.UnixMicro())
	var flags byte
	if s.Usage != nil {
		flags |= hasUsage
	}
	if s.CostUSD != nil {
		flags |= hasCost
	}
	if s.TimeToFirstTokenMS != nil {
		flags |= hasTTFT
	}
	b = append(b, flags)
	if u := s.Usage; u != nil {
		for _, n := range [...]int64{u.InputTokens, u.OutputTokens, u.CachedTokens, u.CacheCreationTokens, u.ReasoningTokens, u.TotalTokens} {
			b = binary.AppendVarint(b, n)
		}
	}
	if s.CostUSD != nil {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*s.CostUSD))
	}
	if s.TimeToFirstTokenMS != nil {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*s.TimeToFirstTokenMS))
	}
	for _, p := range payloads(s) {
		if *p == nil {
			b = append(b, 0)
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(*p))+1)
		b = append(b, *p...)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

// Batch is a decoded payload.
type Batch struct {
	Spans  []store.Span
	Scores []store.Score
	// Validated says ingest normalised and validated the spans and scores
	// before it queued them, as it does every batch in the binary
	// encoding; a JSON batch was not checked by this collector and must
	// be.
	Validated bool
}

// ErrUnknownVersion is a payload in an encoding this collector does not
// know: written by a newer one.
var ErrUnknownVersion = errors.New("unknown batch encoding")

// Decode reads a payload. The spans' JSON fields share the payload's
// memory, which must not change while they are in use.
func Decode(payload []byte) (Batch, error) {
	if isJSON(payload) {
		var b struct {
			Spans  []store.Span  `json:"spans"`
			Scores []store.Score `json:"scores"`
		}
		if err := json.Unmarshal(payload, &b); err != nil {
			return Batch{}, fmt.Errorf("undecodable JSON batch: %w", err)
		}
		return Batch{Spans: b.Spans, Scores: b.Scores}, nil
	}
	if len(payload) == 0 {
		return Batch{}, errors.New("empty batch")
	}
	if payload[0] != Version {
		return Batch{}, fmt.Errorf("%w: version %d", ErrUnknownVersion, payload[0])
	}
	d := decoder{b: payload, i: 1}
	n := d.uvarint()
	// A count of more spans than the payload can hold is a corrupt one,
	// not a reason to allocate.
	if d.err == nil && n > uint64(len(payload)/minSpanBytes) {
		d.fail()
	}
	if d.err != nil {
		return Batch{}, d.err
	}
	spans := make([]store.Span, n)
	for i := range spans {
		d.span(&spans[i])
		if d.err != nil {
			return Batch{}, fmt.Errorf("span %d: %w", i, d.err)
		}
	}
	n = d.uvarint()
	if d.err == nil && n > uint64(len(payload)-d.i) {
		d.fail()
	}
	if d.err != nil {
		return Batch{}, d.err
	}
	var scores []store.Score
	if n > 0 {
		scores = make([]store.Score, n)
	}
	for i := range scores {
		raw := d.take(d.uvarint())
		if d.err != nil {
			return Batch{}, fmt.Errorf("score %d: %w", i, d.err)
		}
		if err := json.Unmarshal(raw, &scores[i]); err != nil {
			return Batch{}, fmt.Errorf("score %d: %w", i, err)
		}
	}
	if d.i != len(payload) {
		return Batch{}, fmt.Errorf("%d bytes after the last score", len(payload)-d.i)
	}
	return Batch{Spans: spans, Scores: scores, Validated: true}, nil
}

// Count is how many spans and scores payload holds; ok is false when it
// is not a batch.
func Count(payload []byte) (spans, scores int, ok bool) {
	if isJSON(payload) {
		var b struct {
			Spans  []json.RawMessage `json:"spans"`
			Scores []json.RawMessage `json:"scores"`
		}
		if json.Unmarshal(payload, &b) != nil || (b.Spans == nil && b.Scores == nil) {
			return 0, 0, false
		}
		return len(b.Spans), len(b.Scores), true
	}
	b, err := Decode(payload)
	if err != nil {
		return 0, 0, false
	}
	return len(b.Spans), len(b.Scores), true
}

// EncodeJSON returns the JSON batch of spans and scores,
// {"spans":[...],"scores":[...]}: what a dead letter keeps, readable by
// people and by any later collector. The spans' JSON fields go in byte
// for byte (encoding/json would compact them and escape their HTML
// characters), so a batch replayed from it stores what ingest received.
func EncodeJSON(spans []store.Span, scores []store.Score) ([]byte, error) {
	out := []byte(`{"spans":[`)
	for i := range spans {
		s := spans[i]
		raw := payloads(&s)
		var values [len(raw)]json.RawMessage
		for j, p := range raw {
			values[j], *p = *p, nil
		}
		b, err := json.Marshal(&s)
		if err != nil {
			return nil, fmt.Errorf("encode JSON batch: span %d: %w", i, err)
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, b[:len(b)-1]...) // up to its closing brace
		for j, v := range values {
			if len(v) > 0 {
				out = append(out, `,"`+payloadNames[j]+`":`...)
				out = append(out, v...)
			}
		}
		out = append(out, '}')
	}
	out = append(out, `],"scores":[`...)
	for i, sc := range scores {
		b, err := json.Marshal(sc)
		if err != nil {
			return nil, fmt.Errorf("encode JSON batch: score %d: %w", i, err)
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, b...)
	}
	return append(out, "]}"...), nil
}

// payloadNames are the JSON names of payloads' fields, read from
// store.Span's tags.
var payloadNames = func() (names [6]string) {
	t := reflect.TypeFor[store.Span]()
	for i, field := range [...]string{"Input", "Output", "RawInput", "RawOutput", "Attributes", "Metadata"} {
		f, ok := t.FieldByName(field)
		if !ok {
			panic("batch: store.Span has no field " + field)
		}
		names[i], _, _ = strings.Cut(f.Tag.Get("json"), ",")
	}
	return names
}()

// isJSON reports whether payload starts as JSON does.
func isJSON(payload []byte) bool {
	if len(payload) == 0 {
		return false
	}
	switch payload[0] {
	case '{', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// minSpanBytes is the fewest bytes a span takes: its text's length and
// the lengths of its fourteen strings and of its tags, two times, the
// flags and six payload lengths.
const minSpanBytes = 1 + 15 + 2 + 1 + 6

// decoder reads a payload; the first error sticks. Its spans' usages and
// numbers share backing arrays, so that they cost an allocation per
// batch rather than per span.
type decoder struct {
	b      []byte
	i      int
	err    error
	usages []store.Usage
	floats []float64
}

var errCorrupt = errors.New("corrupt batch: it ends early or holds an impossible length")

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.i = len(d.b)
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.i:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.i += n
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b[d.i:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.i += n
	return v
}

// take returns the next n bytes.
func (d *decoder) take(n uint64) []byte {
	if n > uint64(len(d.b)-d.i) {
		d.fail()
		return nil
	}
	b := d.b[d.i : d.i+int(n) : d.i+int(n)]
	d.i += int(n)
	return b
}

func (d *decoder) float() float64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

// span decodes one span into s.
func (d *decoder) span(s *store.Span) {
	// One string holds all of the span's text, each field a part of it.
	t := textReader{s: string(d.take(d.uvarint()))}
	for _, f := range texts(s) {
		*f = t.string()
	}
	if tags := t.uvarint(); tags > 0 && t.err == nil {
		if tags > uint64(len(t.s)-t.i) {
			t.err = errCorrupt
		} else {
			s.Tags = make([]string, tags)
			for i := range s.Tags {
				s.Tags[i] = t.string()
			}
		}
	}
	if t.err != nil || t.i != len(t.s) {
		d.fail()
		return
	}
	s.StartTime = time.UnixMicro(d.varint()).UTC()
	s.EndTime = time.UnixMicro(d.varint()).UTC()
	flags := d.take(1)
	if flags == nil || flags[0]&^(hasUsage|hasCost|hasTTFT) != 0 {
		d.fail()
		return
	}
	if flags[0]&hasUsage != 0 {
		var n [6]int64
		for i := range n {
			n[i] = d.varint()
		}
		s.Usage = d.usage(store.Usage{InputTokens: n[0], OutputTokens: n[1], CachedTokens: n[2],
			CacheCreationTokens: n[3], ReasoningTokens: n[4], TotalTokens: n[5]})
	}
	if flags[0]&hasCost != 0 {
		s.CostUSD = d.number(d.float())
	}
	if flags[0]&hasTTFT != 0 {
		s.TimeToFirstTokenMS = d.number(d.float())
	}
	for _, p := range payloads(s) {
		if n := d.uvarint(); n > 0 {
			*p = d.take(n - 1)
		}
	}
}

// usage returns a pointer to a copy of u in the batch's backing array.
// A full array is replaced, never grown, so earlier pointers stay valid.
func (d *decoder) usage(u store.Usage) *store.Usage {
	if len(d.usages) == cap(d.usages) {
		d.usages = make([]store.Usage, 0, 64)
	}
	d.usages = append(d.usages, u)
	return &d.usages[len(d.usages)-1]
}

// number is usage's counterpart for the cost and time to first token.
func (d *decoder) number(v float64) *float64 {
	if len(d.floats) == cap(d.floats) {
		d.floats = make([]float64, 0, 128)
	}
	d.floats = append(d.floats, v)
	return &d.floats[len(d.floats)-1]
}

// textReader reads the length-prefixed strings of a span's text.
type textReader struct {
	s   string
	i   int
	err error
}

func (t *textReader) uvarint() uint64 {
	var v uint64
	for shift := 0; t.i < len(t.s) && shift < 64; shift += 7 {
		c := t.s[t.i]
		t.i++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	t.err = errCorrupt
	return 0
}

func (t *textReader) string() string {
	n := t.uvarint()
	if t.err != nil || n > uint64(len(t.s)-t.i) {
		t.err = errCorrupt
		return ""
	}
	s := t.s[t.i : t.i+int(n)]
	t.i += int(n)
	return s
}
