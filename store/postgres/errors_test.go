package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tracium/tracium/store"
)

func TestMapError(t *testing.T) {
	t.Parallel()
	pg := func(code string) error {
		return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, Message: "msg " + code})
	}
	tests := []struct {
		name string
		err  error
		want error // nil: no sentinel
	}{
		{"no rows", pgx.ErrNoRows, store.ErrNotFound},
		{"unique violation", pg("23505"), store.ErrConflict},
		{"foreign key violation", pg("23503"), store.ErrNotFound},
		{"numeric out of range", pg("22003"), store.ErrInvalid},
		{"invalid text", pg("22P02"), store.ErrInvalid},
		{"untranslatable character", pg("22P05"), store.ErrInvalid},
		{"bad encoding", pg("22021"), store.ErrInvalid},
		{"string too long", pg("22001"), store.ErrInvalid},
		{"data exception", pg("22000"), store.ErrInvalid},
		{"not null", pg("23502"), store.ErrInvalid},
		{"check violation", pg("23514"), store.ErrInvalid},
		{"stack depth", pg("54001"), store.ErrInvalid},
		{"program limit", pg("54000"), store.ErrInvalid},
		{"admin shutdown", pg("57P01"), store.ErrUnavailable},
		{"crash shutdown", pg("57P02"), store.ErrUnavailable},
		{"cannot connect now", pg("57P03"), store.ErrUnavailable},
		{"too many connections", pg("53300"), store.ErrUnavailable},
		{"disk full", pg("53100"), store.ErrUnavailable},
		{"connection failure", pg("08006"), store.ErrUnavailable},
		{"deadlock", pg("40P01"), store.ErrUnavailable},
		{"statement timeout", pg("57014"), store.ErrUnavailable},
		{"syntax error", pg("42601"), nil},
		{"undefined table", pg("42P01"), nil},
		{"deadline", fmt.Errorf("acquire: %w", context.DeadlineExceeded), store.ErrUnavailable},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, store.ErrUnavailable},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), store.ErrUnavailable},
		{"eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), store.ErrUnavailable},
		{"closed pool", errors.New("closed pool"), store.ErrUnavailable},
		{"cancelled", context.Canceled, nil},
		{"other", errors.New("something"), nil},
	}
	for _, tt := range tests {
		got := mapError(tt.err)
		for _, s := range []error{store.ErrNotFound, store.ErrConflict, store.ErrInvalid, store.ErrUnavailable} {
			if errors.Is(got, s) != (s == tt.want) {
				t.Errorf("%s: mapError = %v; is %v: %v, want %v", tt.name, got, s, errors.Is(got, s), s == tt.want)
			}
		}
		if tt.want == store.ErrUnavailable && !errors.Is(got, tt.err) && errors.Unwrap(tt.err) != nil {
			t.Errorf("%s: the cause is lost: %v", tt.name, got)
		}
	}
}

func TestQueryWords(t *testing.T) {
	t.Parallel()
	for q, want := range map[string][]string{
		"":                           nil,
		"   ":                        nil,
		"lisbon":                     {"lisbon"},
		"the capital of the country": {"capital", "country", "the", "of"},
		"a b c d e f":                {"a", "b", "c", "d"},
		"x\ny\tzz":                   {"zz", "x", "y"},
	} {
		got := queryWords(q)
		if len(got) != len(want) {
			t.Errorf("queryWords(%q) = %q, want %q", q, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("queryWords(%q) = %q, want %q", q, got, want)
				break
			}
		}
	}
}
