package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tracium/tracium/store"
)

// How ListTraces finds a text query. The search text is folded when
// written (store.SearchText), so a match is instr of the folded query; an
// FTS5 trigram index over it (traces_fts) narrows the traces to check.
// Which way to go depends on how many traces hold the query's trigrams,
// which SQLite's planner cannot know, so ListTraces asks the index first:
//
//   - a few (up to DrivingCandidates): read them by id, check and sort;
//   - more (up to MaxCandidates): read the newest-first index until a page
//     is full, skipping traces that are not candidates;
//   - more still: the query is so common that the newest traces fill a
//     page; read them in time order and check each.
//
// A query shorter than a trigram is found the last way.
type textPlan struct{ driving, max int }

var defaultTextPlan = textPlan{driving: 2_000, max: 20_000}

// textSearch is a text query and the way to find it.
type textSearch struct {
	folded string
	// ids are the traces holding the query's trigrams, when there are at
	// most plan.max.
	ids  []int64
	plan textPlan
}

// planText folds query and, when it has trigrams, asks the index which
// traces hold them.
func (s *Store) planText(ctx context.Context, query string) (textSearch, error) {
	t := textSearch{folded: store.Fold(query), plan: s.textPlan}
	match := trigramMatch(t.folded)
	if match == "" {
		return t, nil
	}
	ids, err := appendAll(ctx, s.read, make([]int64, 0, 64), func(row scanner) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}, `SELECT rowid FROM traces_fts WHERE traces_fts MATCH ? LIMIT ?`, match, t.plan.max+1)
	if err != nil {
		return t, fmt.Errorf("text candidates: %w", err)
	}
	if len(ids) <= t.plan.max {
		t.ids = ids
	}
	return t, nil
}

func (t textSearch) idList() string {
	list, _ := json.Marshal(t.ids) // []int64 always marshals
	return string(list)
}

// from is the FROM clause of a trace list under t, and its argument: a few
// candidates drive the query (CROSS JOIN keeps them the outer loop).
func (t textSearch) from() (string, []any) {
	if t.ids == nil || len(t.ids) > t.plan.driving {
		return "traces", nil
	}
	return "json_each(?) AS candidate CROSS JOIN traces ON traces.id = candidate.value", []any{t.idList()}
}

// add puts t's conditions on w: the candidates, when from does not drive
// by them, and the substring itself.
func (t textSearch) add(w *where) {
	if len(t.ids) > t.plan.driving {
		w.add("traces.id IN (SELECT value FROM json_each(?))", t.idList())
	}
	w.add("instr(search_text, ?) > 0", t.folded)
}

// trigramMatch is the FTS5 query that finds, in traces_fts, the traces
// whose words (store.SearchWords) hold every trigram that the words of a
// folded query need: in each of its longest words, the trigrams at every
// third character and the last, enough to narrow the candidates that
// instr then checks. A query with no word of three characters has none
// ("").
func trigramMatch(q string) string {
	var b strings.Builder
	for _, word := range store.QueryWords(q)[:min(len(store.QueryWords(q)), maxQueryWords)] {
		runes := []rune(word)
		if len(runes) < 3 {
			break // the words come longest first
		}
		add := func(at int) {
			if b.Len() > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(`"` + strings.ReplaceAll(string(runes[at:at+3]), `"`, `""`) + `"`)
		}
		for at := 0; at+3 <= len(runes); at += 3 {
			add(at)
		}
		if len(runes)%3 != 0 {
			add(len(runes) - 3)
		}
	}
	return b.String()
}

// maxQueryWords bounds the words of a query the index is asked for: the
// longest few narrow the candidates as well as all of them.
const maxQueryWords = 4
