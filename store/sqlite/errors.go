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
// driver's message for the logs: what the data or the call did wrong is
// ErrInvalid (retrying cannot help); a database that is locked beyond the
// busy timeout, failing to read or write, or full is ErrUnavailable (the
// same call may succeed later).
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return err
	}
	switch code := e.Code(); code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %v", store.ErrConflict, e)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		// The row refers to a parent (a project, a user) that is not there.
		return fmt.Errorf("%w: %v", store.ErrNotFound, e)
	default:
		switch code & 0xff { // the primary result code of an extended one
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_RANGE:
			return fmt.Errorf("%w: %v", store.ErrInvalid, e)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("%w: %v", store.ErrUnavailable, e)
		}
	}
	return err
}
