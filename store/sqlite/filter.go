package sqlite

import (
	"strings"
	"time"

	"github.com/tracium/tracium/store"
)

// where collects the conditions and arguments of a query; every one starts
// scoped by project.
type where struct {
	conds []string
	args  []any
}

func newWhere(projectID int64) *where {
	return &where{conds: []string{"project_id = ?"}, args: []any{projectID}}
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string { return strings.Join(w.conds, " AND ") }

// traceWhere turns a ListTraces filter into conditions on traces; t is
// how its text query is found.
func traceWhere(projectID int64, f store.TraceFilter, t textSearch) *where {
	w := newWhere(projectID)
	if !f.Since.IsZero() {
		w.add("start_time >= ?", micros(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("start_time < ?", micros(f.Until))
	}
	if f.AgentName != "" {
		w.add("agent_name = ?", f.AgentName)
	}
	if f.UserID != "" {
		w.add("user_id = ?", f.UserID)
	}
	if f.SessionID != "" {
		w.add("session_id = ?", f.SessionID)
	}
	if f.Tag != "" {
		w.add("EXISTS (SELECT 1 FROM json_each(traces.tags) WHERE value = ?)", f.Tag)
	}
	if f.Model != "" {
		w.add("EXISTS (SELECT 1 FROM json_each(traces.model_keys) WHERE value = ?)", store.ModelKey(f.Model))
	}
	switch f.Status {
	case store.StatusError:
		w.add("error_count > 0")
	case store.StatusOK:
		w.add("error_count = 0")
	}
	if f.MinDuration > 0 {
		// In float microseconds so that a sub-microsecond remainder still
		// counts, as PostgreSQL's comparison in milliseconds does.
		w.add("end_time - start_time >= ?", float64(f.MinDuration)/float64(time.Microsecond))
	}
	if !f.Score.IsZero() {
		scoreMatch(w, projectID, f.Score)
	}
	if f.Query != "" {
		t.add(w)
	}
	return w
}
