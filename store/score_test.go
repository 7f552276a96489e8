package store_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

func TestScoreValueOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      any
		want    store.ScoreValue
		wantErr string
	}{
		{0.8, store.NumberValue(0.8), ""},
		{json.Number("-3"), store.NumberValue(-3), ""},
		{true, store.BoolValue(true), ""},
		{false, store.BoolValue(false), ""},
		{"good", store.LabelValue("good"), ""},
		{"", store.ScoreValue{}, "label"},
		{strings.Repeat("x", store.MaxScoreLabelLen+1), store.ScoreValue{}, "label"},
		{math.NaN(), store.ScoreValue{}, "finite"},
		{json.Number("1e400"), store.ScoreValue{}, "out of range"},
		{nil, store.ScoreValue{}, "missing"},
		{[]any{1.0}, store.ScoreValue{}, "number, true or false, or a label"},
		{map[string]any{}, store.ScoreValue{}, "number, true or false, or a label"},
	} {
		got, err := store.ScoreValueOf(tc.in)
		switch {
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("ScoreValueOf(%v) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("ScoreValueOf(%v) error = %v; want one saying %q", tc.in, err, tc.wantErr)
		}
	}
}

func TestScoreConfigCheck(t *testing.T) {
	t.Parallel()
	lo, hi := 0.0, 1.0
	quality := store.ScoreConfig{Name: "quality", Type: store.ScoreNumeric, Min: &lo, Max: &hi}
	tone := store.ScoreConfig{Name: "tone", Type: store.ScoreCategorical, Labels: []string{"friendly", "rude"}}
	anyLabel := store.ScoreConfig{Name: "topic", Type: store.ScoreCategorical}
	resolved := store.ScoreConfig{Name: "resolved", Type: store.ScoreBoolean}
	for _, tc := range []struct {
		c       store.ScoreConfig
		v       store.ScoreValue
		wantErr string
	}{
		{quality, store.NumberValue(0.5), ""},
		{quality, store.NumberValue(1), ""},
		{quality, store.NumberValue(1.5), `value 1.5 of score "quality" is outside its range 0 to 1`},
		{quality, store.BoolValue(true), `configured as numeric: send a number in 0 to 1`},
		{tone, store.LabelValue("rude"), ""},
		{tone, store.LabelValue("calm"), `label "calm" is not one of score "tone"'s labels: friendly, rude`},
		{tone, store.NumberValue(1), "send one of its labels: friendly, rude"},
		{anyLabel, store.LabelValue("billing"), ""},
		{resolved, store.BoolValue(false), ""},
		{resolved, store.LabelValue("yes"), "send true or false"},
	} {
		err := tc.c.Check(tc.v)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s.Check(%v) = %v", tc.c.Name, tc.v, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s.Check(%v) = %v; want %q", tc.c.Name, tc.v, err, tc.wantErr)
		}
	}
}

// TestScoreJSON: a score's value is written as the JSON kind of its type,
// and read back to the same score.
func TestScoreJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    store.ScoreValue
		want string
	}{
		{store.NumberValue(0.25), `"type":"numeric","value":0.25`},
		{store.BoolValue(true), `"type":"boolean","value":true`},
		{store.LabelValue("good"), `"type":"categorical","value":"good"`},
	} {
		s := store.Score{ID: strings.Repeat("ab", 16), TraceID: strings.Repeat("cd", 16), Name: "n", Value: tc.v,
			Source: store.SourceUI, AuthorUserID: 3, Time: at}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.want) {
			t.Errorf("%s does not hold %s", b, tc.want)
		}
		var back store.Score
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Value != s.Value || back.ID != s.ID || !back.Time.Equal(at) || back.AuthorUserID != 3 || back.Source != store.SourceUI {
			t.Errorf("round trip of %s = %+v", b, back)
		}
	}
	var s store.Score
	if err := json.Unmarshal([]byte(`{"id":"x","value":[1]}`), &s); err == nil {
		t.Errorf("a list as a value was read")
	}
}

func TestScoreCursor(t *testing.T) {
	t.Parallel()
	c := store.ScoreCursor{Time: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), ID: strings.Repeat("1f", 16)}
	limit, got, err := store.Page{Cursor: c.Encode(), Limit: 10}.BoundedScores()
	if err != nil || limit != 10 || got != c {
		t.Errorf("BoundedScores = %d, %+v, %v; want %+v", limit, got, err, c)
	}
	trace := store.Cursor{StartTime: c.Time, TraceID: c.ID}.Encode()
	for _, bad := range []string{"!!", trace, "czoxOnh5eg"} {
		if _, _, err := (store.Page{Cursor: bad}).BoundedScores(); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("cursor %q: %v, want ErrInvalid", bad, err)
		}
	}
}
