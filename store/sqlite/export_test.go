package sqlite

import "database/sql"

// WriteDB is the store's single-connection writer pool.
func (s *Store) WriteDB() *sql.DB { return s.write }

// SetTextPlan sets how many trigram candidates ListTraces reads by id
// (driving) and at most (max), so that a test reaches every plan with a
// few traces.
func (s *Store) SetTextPlan(driving, max int) { s.textPlan = textPlan{driving, max} }
