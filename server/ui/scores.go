package ui

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/store"
)

// Scores on the trace page: every score of the trace (its spans' too)
// beside the summary, the selected span's in its panel, and for members
// the forms to add, change and remove them. A person's score is written
// straight to the store, as every other form is, with source ui.

// ScoresView is one list of scores with its forms.
type ScoresView struct {
	TraceID string
	Rows    []ScoreRow
	// CanEdit shows the forms: members and admins.
	CanEdit bool
	// SpanID and SpanName are the span the add form scores; empty for the
	// whole trace.
	SpanID, SpanName string
	// Names are the project's configured score names, suggested by the
	// add form.
	Names []ScoreNameOption
	// Back is the page's own URL, where the forms come back to.
	Back  string
	CSRF  string
	Error string
	// ShowSpan adds the column naming each score's span.
	ShowSpan bool
}

// ScoreRow is one score as the page shows it.
type ScoreRow struct {
	ID, Name, Type, Value, Comment, Source, Author, Time, Edited string
	// SpanName and SpanURL name and open the scored span; empty for the
	// whole trace.
	SpanName, SpanURL string
}

// ScoreNameOption is a configured score name and what it takes.
type ScoreNameOption struct{ Name, Hint string }

// maxTraceScores bounds the scores one trace page reads.
const maxTraceScores = store.MaxPageLimit

// traceScores fills the page's scores: the whole trace's list and, when a
// span is selected, the span's.
func (h *Handler) traceScores(r *http.Request, s *session, v *TraceView, d store.TraceTree, st treeState, scoreErr string) error {
	list, err := h.store.ListScores(r.Context(), s.project.ID, store.ScoreFilter{TraceID: d.TraceID}, store.Page{Limit: maxTraceScores})
	if err != nil {
		return err
	}
	configs, err := h.store.ListScoreConfigs(r.Context(), s.project.ID)
	if err != nil {
		return err
	}
	// The names of the scored spans only: a big trace has few of them.
	names := map[string]string{}
	for _, sc := range list.Scores {
		if sc.SpanID != "" {
			names[sc.SpanID] = ""
		}
	}
	if len(names) > 0 {
		for i := range d.Spans {
			if _, ok := names[d.Spans[i].SpanID]; ok {
				names[d.Spans[i].SpanID] = d.Spans[i].Name
			}
		}
	}
	back := st.base
	if q := st.form.Encode(); q != "" {
		back += "?" + q
	}
	base := ScoresView{TraceID: d.TraceID, CanEdit: s.can(store.RoleMember), Names: nameOptions(configs), Back: back, CSRF: s.csrf}
	v.Scores = base
	v.Scores.ShowSpan = true
	var spanRows []ScoreRow
	for _, sc := range list.Scores {
		row := scoreRow(sc)
		if sc.SpanID != "" {
			row.SpanName = names[sc.SpanID]
			if row.SpanName == "" {
				row.SpanName = sc.SpanID
			}
			row.SpanURL = st.with("span", sc.SpanID) + "#span-" + sc.SpanID
		}
		v.Scores.Rows = append(v.Scores.Rows, row)
		if v.Detail != nil && sc.SpanID == v.Detail.ID {
			spanRows = append(spanRows, row)
		}
	}
	if v.Detail != nil {
		v.Detail.Scores = base
		v.Detail.Scores.Rows, v.Detail.Scores.SpanID, v.Detail.Scores.SpanName = spanRows, v.Detail.ID, v.Detail.Name
	}
	// A refused form says why where it was sent from.
	if scoreErr != "" {
		if v.Detail != nil && r.PostFormValue("span_id") == v.Detail.ID {
			v.Detail.Scores.Error = scoreErr
		} else {
			v.Scores.Error = scoreErr
		}
	}
	return nil
}

func scoreRow(sc store.Score) ScoreRow {
	row := ScoreRow{ID: sc.ID, Name: sc.Name, Type: string(sc.Value.Type), Value: sc.Value.String(), Comment: sc.Comment,
		Source: string(sc.Source), Author: sc.Author, Time: formatTime(sc.Time)}
	if sc.UpdatedAt != nil {
		row.Edited = formatTime(*sc.UpdatedAt)
	}
	return row
}

func nameOptions(configs []store.ScoreConfig) []ScoreNameOption {
	out := make([]ScoreNameOption, 0, len(configs))
	for _, c := range configs {
		out = append(out, ScoreNameOption{Name: c.Name, Hint: configHint(c)})
	}
	return out
}

// configHint says what a configured name takes, for people.
func configHint(c store.ScoreConfig) string {
	switch c.Type {
	case store.ScoreBoolean:
		return "true or false"
	case store.ScoreCategorical:
		if len(c.Labels) > 0 {
			return "one of " + strings.Join(c.Labels, ", ")
		}
		return "a label"
	}
	return "a number, " + c.Range()
}

// parseScoreValue reads what a person typed as the value of a score
// named by cfg (nil when the name is not configured): for a configured
// name, its type's spelling; otherwise true or false is a boolean, a
// number a number, and anything else a label.
func parseScoreValue(text string, cfg *store.ScoreConfig) (store.ScoreValue, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return store.ScoreValue{}, errors.New("give the score a value")
	}
	boolean := func() (store.ScoreValue, bool) {
		switch strings.ToLower(text) {
		case "true", "yes":
			return store.BoolValue(true), true
		case "false", "no":
			return store.BoolValue(false), true
		}
		return store.ScoreValue{}, false
	}
	number := func() (store.ScoreValue, bool) {
		f, err := strconv.ParseFloat(text, 64)
		return store.NumberValue(f), err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	}
	if cfg == nil {
		if v, ok := boolean(); ok {
			return v, nil
		}
		if v, ok := number(); ok {
			return v, nil
		}
		return store.LabelValue(text), nil
	}
	var v store.ScoreValue
	ok := true
	switch cfg.Type {
	case store.ScoreBoolean:
		if v, ok = boolean(); !ok && (text == "1" || text == "0") {
			v, ok = store.BoolValue(text == "1"), true
		}
	case store.ScoreNumeric:
		v, ok = number()
	default:
		v = store.LabelValue(text)
	}
	if !ok {
		return v, fmt.Errorf("score %q takes %s", cfg.Name, configHint(*cfg))
	}
	return v, cfg.Check(v)
}

// scoreBack is where a score form returns to: its trace's page, with the
// state (selected span, open subtrees) the form was sent from.
func scoreBack(r *http.Request, traceID string) string {
	u, err := url.Parse(r.PostFormValue("back"))
	path := "/traces/" + traceID
	if err != nil || u.Path != path || u.Host != "" || u.Scheme != "" {
		return path + "#scores"
	}
	if u.RawQuery == "" {
		return path + "#scores"
	}
	return path + "?" + u.Query().Encode() + "#scores"
}

// scoreFormFailed shows the trace page again with why the form was
// refused.
func (h *Handler) scoreFormFailed(w http.ResponseWriter, r *http.Request, status int, msg string) {
	back, _ := url.Parse(scoreBack(r, chi.URLParam(r, "traceID")))
	r.URL.RawQuery = back.RawQuery
	h.renderTrace(w, r, status, msg)
}

// scoreConfig is the configuration of name in the session's project, or
// nil.
func (h *Handler) scoreConfig(r *http.Request, s *session, name string) (*store.ScoreConfig, error) {
	configs, err := h.store.ListScoreConfigs(r.Context(), s.project.ID)
	if err != nil {
		return nil, err
	}
	return store.FindScoreConfig(configs, name), nil
}

// addScore scores the trace, or the span the form names.
func (h *Handler) addScore(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.can(store.RoleMember) {
		h.scoreFormFailed(w, r, http.StatusForbidden, "Viewers cannot score traces.")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if err := store.CheckScoreName(name); err != nil {
		h.scoreFormFailed(w, r, http.StatusBadRequest, "Give the score a name of 1 to 200 characters.")
		return
	}
	cfg, err := h.scoreConfig(r, s, name)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	v, err := parseScoreValue(r.PostFormValue("value"), cfg)
	if err != nil {
		h.scoreFormFailed(w, r, http.StatusBadRequest, capitalize(err.Error())+".")
		return
	}
	id := make([]byte, store.ScoreIDLen/2)
	_, _ = rand.Read(id)
	sc := store.Score{ID: hex.EncodeToString(id), TraceID: chi.URLParam(r, "traceID"), SpanID: r.PostFormValue("span_id"),
		Name: name, Value: v, Comment: strings.TrimSpace(r.PostFormValue("comment")), Source: store.SourceUI,
		AuthorUserID: s.user.ID, Time: time.Now()}
	if err := h.store.WriteScores(r.Context(), s.project.ID, []store.Score{sc}); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			h.scoreFormFailed(w, r, http.StatusBadRequest, "This score cannot be kept: "+invalidReason(err)+".")
			return
		}
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, scoreBack(r, sc.TraceID), http.StatusSeeOther)
}

// editScore changes a score's value and comment.
func (h *Handler) editScore(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.can(store.RoleMember) {
		h.scoreFormFailed(w, r, http.StatusForbidden, "Viewers cannot change scores.")
		return
	}
	sc, err := h.store.GetScore(r.Context(), s.project.ID, chi.URLParam(r, "scoreID"))
	if errors.Is(err, store.ErrNotFound) || err == nil && sc.TraceID != strings.ToLower(chi.URLParam(r, "traceID")) {
		h.scoreFormFailed(w, r, http.StatusNotFound, "No such score on this trace.")
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	cfg, err := h.scoreConfig(r, s, sc.Name)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	v, err := parseScoreValue(r.PostFormValue("value"), cfg)
	if err != nil {
		h.scoreFormFailed(w, r, http.StatusBadRequest, capitalize(err.Error())+".")
		return
	}
	_, err = h.store.UpdateScore(r.Context(), s.project.ID, sc.ID, store.ScoreUpdate{Value: v, Comment: strings.TrimSpace(r.PostFormValue("comment")), At: time.Now()})
	if errors.Is(err, store.ErrInvalid) {
		h.scoreFormFailed(w, r, http.StatusBadRequest, "This score cannot be kept: "+invalidReason(err)+".")
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, scoreBack(r, sc.TraceID), http.StatusSeeOther)
}

// deleteScore removes a score.
func (h *Handler) deleteScore(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.can(store.RoleMember) {
		h.scoreFormFailed(w, r, http.StatusForbidden, "Viewers cannot remove scores.")
		return
	}
	sc, err := h.store.GetScore(r.Context(), s.project.ID, chi.URLParam(r, "scoreID"))
	if err == nil && sc.TraceID == strings.ToLower(chi.URLParam(r, "traceID")) {
		err = h.store.DeleteScore(r.Context(), s.project.ID, sc.ID)
	} else if err == nil {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		h.scoreFormFailed(w, r, http.StatusNotFound, "No such score on this trace.")
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, scoreBack(r, chi.URLParam(r, "traceID")), http.StatusSeeOther)
}

// invalidReason is what the store said was wrong, without its prefixes.
func invalidReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, store.ErrInvalid.Error()+": "); i >= 0 {
		msg = msg[i+len(store.ErrInvalid.Error())+2:]
	}
	if i := strings.Index(msg, "): "); i >= 0 { // "score 0 (id): reason"
		msg = msg[i+3:]
	}
	return msg
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ScoreChip is one score summary in the traces list: "quality 0.85 ×2".
type ScoreChip struct{ Name, Text string }

// scoreChips says a trace's score summaries in a few characters each.
func scoreChips(sums []store.ScoreSummary) []ScoreChip {
	out := make([]ScoreChip, 0, len(sums))
	for _, s := range sums {
		c := ScoreChip{Name: s.Name}
		switch {
		case s.Type == store.ScoreCategorical:
			parts := make([]string, 0, len(s.Labels))
			for i, l := range s.Labels {
				if i == 3 {
					parts = append(parts, "…")
					break
				}
				if len(s.Labels) == 1 && l.Count == 1 {
					parts = append(parts, l.Label)
				} else {
					parts = append(parts, l.Label+" "+formatCount(l.Count))
				}
			}
			c.Text = strings.Join(parts, " · ")
		case s.Average == nil:
		case s.Type == store.ScoreBoolean && s.Count == 1:
			c.Text = strconv.FormatBool(*s.Average == 1)
		case s.Type == store.ScoreBoolean:
			c.Text = strconv.FormatFloat(math.Round(*s.Average*100), 'f', 0, 64) + "% true"
		default:
			c.Text = formatScore(*s.Average)
		}
		if s.Count > 1 && s.Type != store.ScoreCategorical {
			c.Text += " ×" + formatCount(s.Count)
		}
		out = append(out, c)
	}
	return out
}

// formatScore prints an average with at most three decimals.
func formatScore(f float64) string {
	return strconv.FormatFloat(math.Round(f*1000)/1000, 'f', -1, 64)
}
