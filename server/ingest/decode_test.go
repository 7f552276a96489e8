package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/server/queue/batch"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/storetest"
)

// noBudget lets every body through, for tests of decoding alone.
func noBudget(int64) error { return nil }

// fuzzNow is a clock inside the window of the seed spans.
var fuzzNow = time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)

// FuzzDecode feeds arbitrary bytes, plain and as gzip, to the decoder:
// it must never panic, and every span it accepts must be valid.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"spans":[{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","name":"chat","type":"llm","start_time":"2026-01-02T03:04:05Z","end_time":"2026-01-02T03:04:06Z","usage":{"input_tokens":3}}]}`))
	f.Add([]byte(`{"spans":[]}`))
	f.Add([]byte(`{"spans":[{},null,1,"x"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, enc := range []string{"", "gzip"} {
			in := data
			if enc == "gzip" {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				zw.Write(data)
				zw.Close()
				in = buf.Bytes()
			}
			body, err := readBody(bytes.NewReader(in), enc, 1<<20, noBudget)
			if err != nil {
				if !errors.Is(err, errTooLarge) {
					t.Fatalf("readBody(%q): %v", enc, err)
				}
				continue
			}
			raw, err := decodeBatch(body, 100)
			if err != nil {
				continue
			}
			if len(raw) > 100 {
				t.Fatalf("%d spans past the limit of 100", len(raw))
			}
			spans, rejected := decodeSpans(raw, fuzzNow, store.Window{})
			if len(spans)+len(rejected) != len(raw) {
				t.Fatalf("%d accepted + %d rejected != %d spans", len(spans), len(rejected), len(raw))
			}
			for _, s := range spans {
				if err := s.ValidateAt(fuzzNow, store.Window{}); err != nil {
					t.Fatalf("accepted an invalid span: %v", err)
				}
			}
		}
	})
}

func TestReadBodyLimits(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a", 2000)
	if _, err := readBody(strings.NewReader(big), "", 1000, noBudget); !errors.Is(err, errTooLarge) {
		t.Errorf("plain over the limit: %v", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(big))
	zw.Close()
	if _, err := readBody(bytes.NewReader(buf.Bytes()), "gzip", 1000, noBudget); !errors.Is(err, errTooLarge) {
		t.Errorf("gzip expanding over the limit: %v", err)
	}
	if got, err := readBody(strings.NewReader(big), "identity", 2000, noBudget); err != nil || len(got) != 2000 {
		t.Errorf("at the limit: %d bytes, %v", len(got), err)
	}
}

// TestEncodeChunks: a batch larger than the queue's payload limit is
// queued in chunks within it, every span in one of them.
func TestEncodeChunks(t *testing.T) {
	t.Parallel()
	raw, _ := decodeBatch([]byte(`{"spans":[`+strings.Repeat(`{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","name":"n","start_time":"2026-01-02T03:04:05Z","end_time":"2026-01-02T03:04:06Z"},`, 9)+
		`{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","name":"n","start_time":"2026-01-02T03:04:05Z","end_time":"2026-01-02T03:04:06Z"}]}`), 100)
	spans, rejected := decodeSpans(raw, fuzzNow, store.Window{})
	if len(spans) != 10 || len(rejected) != 0 {
		t.Fatalf("decoded %d, rejected %v", len(spans), rejected)
	}
	chunks, err := batch.Chunks(spans, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range chunks {
		if len(c) > 1000 {
			t.Errorf("chunk of %d bytes over the 1000 limit", len(c))
		}
		cb, err := batch.Decode(c)
		if err != nil {
			t.Fatalf("chunk does not decode: %v", err)
		}
		total += len(cb.Spans)
	}
	if len(chunks) < 2 || total != 10 {
		t.Errorf("%d chunks holding %d spans; want several holding 10", len(chunks), total)
	}
}

// TestReadBodyHoldsBudget: the body's buffer grows only with the budget's
// leave, and a refusal stops the read.
func TestReadBodyHoldsBudget(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a", 1<<20)
	var held int64
	hold := func(n int64) error { held = max(held, n); return nil }
	got, err := readBody(strings.NewReader(big), "", 2<<20, hold)
	if err != nil || len(got) != len(big) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	if held < int64(cap(got)) || held > 4*int64(len(big)) {
		t.Errorf("held at most %d bytes for a body of %d in a buffer of %d", held, len(big), cap(got))
	}
	refuse := errors.New("no budget")
	_, err = readBody(strings.NewReader(big), "", 2<<20, func(n int64) error {
		if n > 256<<10 {
			return refuse
		}
		return nil
	})
	if !errors.Is(err, refuse) {
		t.Errorf("a refused hold: %v", err)
	}
}

func TestDecodeBatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body  string
		spans int
		err   error
	}{
		{`{"spans":[]}`, 0, nil},
		{`{"spans":[{},{}],"sdk":{"name":"x"}}`, 2, nil},
		{`{"sdk":"x","spans":[1]}`, 1, nil},
		{`{"spans":[` + strings.Repeat(`{},`, 10) + `{}]}`, 0, errTooManySpans},
		{`{"spans":[` + strings.Repeat(`{},`, 1_000_000) + `{}]}`, 0, errTooManySpans},
		{`{"spans":null}`, 0, errMalformed},
		{`{"span":[]}`, 0, errMalformed},
		{`[1,2]`, 0, errMalformed},
		{`{"spans":[} `, 0, errMalformed},
		{`{"spans":[]} {}`, 0, errMalformed},
		{``, 0, errMalformed},
	} {
		raw, err := decodeBatch([]byte(tc.body), 10)
		if !errors.Is(err, tc.err) || (err == nil && len(raw) != tc.spans) {
			t.Errorf("decodeBatch(%.40s): %d spans, %v; want %d, %v", tc.body, len(raw), err, tc.spans, tc.err)
		}
	}
}

// TestReadBodySized: a body that declares its size is read into one
// buffer of that size, claimed once; one that declares less than it
// sends is still read whole, within the limit.
func TestReadBodySized(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a", 100_000)
	var holds []int64
	hold := func(n int64) error { holds = append(holds, n); return nil }
	got, err := readBodySized(strings.NewReader(big), "", int64(len(big)), 1<<20, hold)
	if err != nil || len(got) != len(big) || cap(got) != len(big)+1 || len(holds) != 1 {
		t.Errorf("%d bytes in a buffer of %d after %d claims (%v); want %d in one of %d, one claim", len(got), cap(got), len(holds), err, len(big), len(big)+1)
	}
	if got, err := readBodySized(strings.NewReader(big), "", 10, 1<<20, noBudget); err != nil || len(got) != len(big) {
		t.Errorf("a body past its declared size: %d bytes, %v", len(got), err)
	}
	if _, err := readBodySized(strings.NewReader(big), "", int64(len(big)), 1000, noBudget); !errors.Is(err, errTooLarge) {
		t.Errorf("a declared size over the limit: %v", err)
	}
}

// FuzzSplitPlain checks the fast split against the careful one: whatever
// body splitPlain accepts, splitStream splits the same way without error.
func FuzzSplitPlain(f *testing.F) {
	for _, body := range []string{
		`{"spans":[{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","name":"chat","input":{"a":[1,2.5e3,-0,true,null,"é\u00e9\n"]}}],"scores":[{"name":"x"}]}`,
		`{"spans":[],"sdk":{"name":"go"},"scores":[]}`,
		` { "spans" : [ {} , [] , 1 , "x" ] } `,
		`{"spans":[{"a":"\ud800"}]}`,
		`{"spans":[{"a":"\udc00\ud800x"}]}`,
		`{"spans":[{"a":1,"a":2}]}`,
		`{"spans":[01]}`, `{"spans":[1.]}`, `{"spans":[-]}`, `{"spans":[tru]}`,
		`{"spans":[{}],"spans":[{},{}]}`, `{"sp\u0061ns":[{}]}`, `{"spans":[{}]}x`,
		"{\"spans\":[\"\xff\"]}", "{\"spans\":[\"\x01\"]}", `{"spans":[{}],}`, `{"spans":[{},]}`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := splitPlain(body, 3, 2)
		if !ok {
			return
		}
		careful, err := splitStream(body, 3, 2)
		if err != nil {
			t.Fatalf("splitPlain split %q, which splitStream refuses: %v", body, err)
		}
		for _, part := range [][2][]json.RawMessage{{fast.spans, careful.spans}, {fast.scores, careful.scores}} {
			if (part[0] == nil) != (part[1] == nil) || len(part[0]) != len(part[1]) {
				t.Fatalf("%q: splitPlain gave %q, splitStream %q", body, part[0], part[1])
			}
			for i := range part[0] {
				if !bytes.Equal(part[0][i], part[1][i]) || cap(part[0][i]) != len(part[0][i]) {
					t.Fatalf("%q: value %d is %q, splitStream's %q", body, i, part[0][i], part[1][i])
				}
			}
		}
	})
}

// TestSplitPlainTakesSDKBodies: the bodies SDKs send go the fast way.
func TestSplitPlainTakesSDKBodies(t *testing.T) {
	t.Parallel()
	spans := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 1 << 10, Start: fuzzNow, Spacing: time.Millisecond}.Trace(0)
	body, err := json.Marshal(map[string]any{"spans": spans, "scores": []map[string]any{{"name": "helpful", "value": 1}}})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := splitPlain(body, DefaultMaxSpans, DefaultMaxScores)
	if !ok || len(p.spans) != len(spans) || len(p.scores) != 1 {
		t.Fatalf("splitPlain: %v, %d spans and %d scores; want true, %d and 1", ok, len(p.spans), len(p.scores), len(spans))
	}
	if _, ok := splitPlain(body, len(spans)-1, DefaultMaxScores); ok {
		t.Errorf("splitPlain took a body past its span limit")
	}
}
