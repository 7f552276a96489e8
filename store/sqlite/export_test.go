package sqlite

import (
	"database/sql"
	"strings"

	"github.com/tracium/tracium/store"
)

// RawInsert is a plain prepared INSERT of one span row, no conflict
// clause: the peer that benchmarks measure WriteSpans against.
var RawInsert = `INSERT INTO spans (` + strings.Join(spanInsertColumns, ", ") + `)
VALUES (?` + strings.Repeat(", ?", len(spanInsertColumns)-1) + `)`

// RawInsertArgs lays a span out as the arguments of RawInsert.
func RawInsertArgs(projectID int64, sp store.Span) []any {
	sp.Normalize()
	return spanArgs(projectID, &sp, store.IndexSpan(&sp))
}

// WriteDB is the store's single-connection writer pool.
func (s *Store) WriteDB() *sql.DB { return s.write }

// SetTextPlan sets how many trigram candidates ListTraces reads by id
// (driving) and at most (max), so that a test reaches every plan with a
// few traces.
func (s *Store) SetTextPlan(driving, max int) { s.textPlan = textPlan{driving, max} }
