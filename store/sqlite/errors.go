package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tracium/tracium/store"
)

// mapError turns driver errors into the store's sentinels, keeping the
// driver's message for the logs.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %v", store.ErrConflict, e)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			// The row refers to a parent (a project) that is not there.
			return fmt.Errorf("%w: %v", store.ErrNotFound, e)
		case sqlite3.SQLITE_CONSTRAINT_CHECK:
			return fmt.Errorf("%w: %v", store.ErrInvalid, e)
		}
	}
	return err
}
