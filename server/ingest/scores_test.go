package ingest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/queue/batch"
	"github.com/tracium/tracium/store"
)

const (
	seedTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	seedSpan  = "00f067aa0ba902b7"
)

func TestSplitBatchScores(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body          string
		spans, scores int
		err           error
	}{
		{`{"scores":[{},{}]}`, 0, 2, nil},
		{`{"spans":[{}],"scores":[{}]}`, 1, 1, nil},
		{`{"scores":[],"spans":[]}`, 0, 0, nil},
		{`{"scores":[` + strings.Repeat(`{},`, 5) + `{}]}`, 0, 0, errTooManyScores},
		{`{"scores":{}}`, 0, 0, errMalformed},
		{`{"score":[]}`, 0, 0, errMalformed},
	} {
		p, err := splitBatch([]byte(tc.body), 10, 5)
		if !errors.Is(err, tc.err) || err == nil && (len(p.spans) != tc.spans || len(p.scores) != tc.scores) {
			t.Errorf("splitBatch(%.40s) = %d spans, %d scores, %v; want %d, %d, %v", tc.body, len(p.spans), len(p.scores), err, tc.spans, tc.scores, tc.err)
		}
	}
}

func TestDecodeScores(t *testing.T) {
	t.Parallel()
	lo, hi := 0.0, 1.0
	configs := []store.ScoreConfig{
		{Name: "quality", Type: store.ScoreNumeric, Min: &lo, Max: &hi},
		{Name: "tone", Type: store.ScoreCategorical, Labels: []string{"friendly", "rude"}},
	}
	caller := auth.Caller{ProjectID: 1, KeyID: 7}
	for _, tc := range []struct {
		score  string
		reason string // empty: accepted
	}{
		{`{"trace_id":"` + seedTrace + `","name":"quality","value":0.5,"comment":"ok"}`, ""},
		{`{"trace_id":"` + strings.ToUpper(seedTrace) + `","span_id":"` + seedSpan + `","name":"correct","value":true}`, ""},
		{`{"trace_id":"` + seedTrace + `","name":"tone","value":"rude","time":"2026-01-02T03:00:00Z"}`, ""},
		{`{"trace_id":"` + seedTrace + `","name":"quality","value":1.5}`, "outside its range 0 to 1"},
		{`{"trace_id":"` + seedTrace + `","name":"quality","value":"high"}`, "configured as numeric"},
		{`{"trace_id":"` + seedTrace + `","name":"tone","value":"calm"}`, "not one of score \"tone\"'s labels"},
		{`{"trace_id":"` + seedTrace + `","name":"q","value":1e400}`, "out of range"},
		{`{"trace_id":"` + seedTrace + `","name":"q","value":[1]}`, "a number, true or false, or a label"},
		{`{"trace_id":"` + seedTrace + `","name":"q"}`, "value is missing"},
		{`{"trace_id":"xyz","name":"q","value":1}`, "trace_id"},
		{`{"trace_id":"` + seedTrace + `","span_id":"1","name":"q","value":1}`, "span_id"},
		{`{"trace_id":"` + seedTrace + `","name":"","value":1}`, "name"},
		{`{"trace_id":"` + seedTrace + `","name":"q","value":1,"time":"yesterday"}`, `field "time"`},
		{`{"trace_id":"` + seedTrace + `","name":"q","value":1,"time":"2010-01-02T03:00:00Z"}`, "outside the accepted window"},
		{`{"trace_id":7,"name":"q","value":1}`, `field "trace_id"`},
		{`{"trace_id":"` + seedTrace + `","name":"q","value":1,"id":"abc"}`, "id must be"},
		{`[1]`, "malformed score"},
	} {
		got, rejected := decodeScores([]json.RawMessage{json.RawMessage(tc.score)}, fuzzNow, store.Window{}, configs, caller, store.SourceSDK, "req")
		switch {
		case tc.reason == "" && (len(got) != 1 || len(rejected) != 0):
			t.Errorf("%s: refused: %v", tc.score, rejected)
		case tc.reason != "" && (len(got) != 0 || len(rejected) != 1 || !strings.Contains(rejected[0].Reason, tc.reason)):
			t.Errorf("%s: %v; want a refusal saying %q", tc.score, rejected, tc.reason)
		}
		for _, sc := range got {
			if sc.Source != store.SourceSDK || sc.AuthorKeyID != 7 || len(sc.ID) != store.ScoreIDLen || sc.Time.IsZero() || sc.TraceID != seedTrace {
				t.Errorf("%s: accepted as %+v", tc.score, sc)
			}
			if err := sc.ValidateAt(fuzzNow, store.Window{}); err != nil {
				t.Errorf("%s: accepted an invalid score: %v", tc.score, err)
			}
		}
	}
	// Without an id, a score is named by the request and its place in it,
	// so that a retried request names it the same.
	raw := []json.RawMessage{json.RawMessage(`{"trace_id":"` + seedTrace + `","name":"q","value":1}`), json.RawMessage(`{"trace_id":"` + seedTrace + `","name":"q","value":1}`)}
	a, _ := decodeScores(raw, fuzzNow, store.Window{}, nil, caller, store.SourceAPI, "req-1")
	b, _ := decodeScores(raw, fuzzNow.Add(time.Second), store.Window{}, nil, caller, store.SourceAPI, "req-1")
	c, _ := decodeScores(raw, fuzzNow, store.Window{}, nil, caller, store.SourceAPI, "req-2")
	if a[0].ID != b[0].ID || a[0].ID == a[1].ID || a[0].ID == c[0].ID {
		t.Errorf("ids %s %s / %s / %s", a[0].ID, a[1].ID, b[0].ID, c[0].ID)
	}
}

// TestEncodeChunksWithScores: spans and scores split over chunks of a
// bounded size that decode back to all of them.
func TestEncodeChunksWithScores(t *testing.T) {
	t.Parallel()
	var spans []store.Span
	var scores []store.Score
	for i := range 6 {
		spans = append(spans, store.Span{TraceID: seedTrace, SpanID: seedSpan, Name: "n", Type: store.SpanTask, Status: store.StatusOK,
			StartTime: fuzzNow, EndTime: fuzzNow.Add(time.Duration(i))})
		scores = append(scores, store.Score{ID: strings.Repeat("a", 31) + string(rune('0'+i)), TraceID: seedTrace, Name: "quality",
			Value: store.NumberValue(float64(i)), Source: store.SourceSDK, Time: fuzzNow})
	}
	for _, tc := range []struct {
		spans  []store.Span
		scores []store.Score
	}{{spans, scores}, {nil, scores}, {spans, nil}} {
		chunks, err := batch.Chunks(tc.spans, tc.scores, 700)
		if err != nil {
			t.Fatal(err)
		}
		var nSpans, nScores int
		for _, c := range chunks {
			if len(c) > 700 {
				t.Errorf("chunk of %d bytes over the limit", len(c))
			}
			b, err := batch.Decode(c)
			if err != nil {
				t.Fatalf("chunk %q does not decode: %v", c, err)
			}
			nSpans += len(b.Spans)
			for _, sc := range b.Scores {
				if sc.Value.Type != store.ScoreNumeric || sc.Source != store.SourceSDK {
					t.Errorf("score decoded as %+v", sc)
				}
			}
			nScores += len(b.Scores)
		}
		if nSpans != len(tc.spans) || nScores != len(tc.scores) || len(chunks) < 2 {
			t.Errorf("%d chunks holding %d spans and %d scores; want several holding %d and %d", len(chunks), nSpans, nScores, len(tc.spans), len(tc.scores))
		}
	}
}

// FuzzDecodeScores: any bytes as a score list never panic, and every
// score accepted can be stored.
func FuzzDecodeScores(f *testing.F) {
	f.Add([]byte(`{"scores":[{"trace_id":"` + seedTrace + `","name":"q","value":0.5,"comment":"c"}]}`))
	f.Add([]byte(`{"scores":[{"trace_id":"` + seedTrace + `","span_id":"` + seedSpan + `","name":"tone","value":"calm"},{"value":true}]}`))
	f.Add([]byte(`{"trace_id":"` + seedTrace + `","name":"q","value":false}`))
	lo := 0.0
	configs := []store.ScoreConfig{{Name: "q", Type: store.ScoreNumeric, Min: &lo}}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, err := splitScores(data)
		if err != nil {
			return
		}
		got, rejected := decodeScores(raw, fuzzNow, store.Window{}, configs, auth.Caller{KeyID: 1}, store.SourceAPI, "k")
		if len(got)+len(rejected) != len(raw) {
			t.Fatalf("%d accepted + %d rejected != %d", len(got), len(rejected), len(raw))
		}
		for _, sc := range got {
			if err := sc.ValidateAt(fuzzNow, store.Window{}); err != nil {
				t.Fatalf("accepted an invalid score: %v", err)
			}
			if sc.Name == "q" && sc.Value.Number < 0 {
				t.Fatalf("accepted %v against the configuration", sc.Value)
			}
		}
	})
}
