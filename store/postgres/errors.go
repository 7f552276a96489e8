package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tracium/tracium/store"
)

// mapError turns driver errors into the store's sentinels, keeping the
// driver's message.
//
// The SQLSTATE classes of bad data are ErrInvalid, so that a caller never
// retries what cannot be written: 22 (data exception: a value out of
// range, a bad encoding, a \u0000 in jsonb), 23 (integrity: a check, a not
// null), and 54 (program limits: a jsonb nested too deep, a row too big),
// except the two integrity errors the code handles, a unique violation
// (ErrConflict) and a missing parent row (ErrNotFound). Everything that
// says the database cannot answer now is ErrUnavailable: connection
// failures (class 08, refused or reset connections, a closed pool),
// shutdowns and restarts (57P01 to 57P03), too many connections and other
// lack of resources (class 53), a cancelled statement (57014), a
// serialisation failure or deadlock (class 40), and a deadline that ran
// out, waiting for a pooled connection or for an answer.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case code == "23505": // unique_violation
			return fmt.Errorf("%w: %s", store.ErrConflict, pgErr.ConstraintName)
		case code == "23503": // foreign_key_violation
			return fmt.Errorf("%w: %s", store.ErrNotFound, pgErr.ConstraintName)
		case strings.HasPrefix(code, "22"), strings.HasPrefix(code, "23"), strings.HasPrefix(code, "54"):
			return fmt.Errorf("%w: %s (SQLSTATE %s)", store.ErrInvalid, pgErr.Message, code)
		case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"), strings.HasPrefix(code, "40"),
			code == "57P01", code == "57P02", code == "57P03", code == "57014":
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return err
	}
	if unreachable(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// unreachable reports whether err says the server could not be reached or
// the connection was lost, rather than that a statement failed.
func unreachable(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return true
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	// pgxpool and pgconn say these in words only.
	msg := err.Error()
	return strings.Contains(msg, "closed pool") || strings.Contains(msg, "conn closed") || strings.Contains(msg, "conn busy")
}
