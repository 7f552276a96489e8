package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
)

// findServer picks the server source in the documented order: the
// environment, then Docker, then a throwaway cluster.
func findServer(ctx context.Context) (*server, error) {
	if raw := os.Getenv(EnvURL); raw != "" {
		// An explicit setting is never second-guessed: if it is wrong, say so
		// instead of quietly testing against something else.
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, fmt.Errorf("%s must be a postgres:// URL", EnvURL)
		}
		v, err := serverVersion(ctx, raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvURL, err)
		}
		return &server{url: raw, desc: fmt.Sprintf("%s server at %s (PostgreSQL %s)", EnvURL, u.Host, v)}, nil
	}

	srv, err := dockerServer(ctx)
	switch {
	case err != nil:
		// Docker answered but could not give us a server (no network for the
		// image pull, say); a local cluster may still work.
		fmt.Fprintf(os.Stderr, "pgtest: Docker: %v; trying a local cluster\n", err)
	case srv != nil:
		return srv, nil
	}

	return clusterServer(ctx)
}

// serverVersion connects to url and returns the server's version number,
// which also proves the server accepts connections.
func serverVersion(ctx context.Context, url string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", err
	}
	// Packagers append their own text ("15.14 (Debian 15.14-1)").
	v, _, _ = strings.Cut(v, " ")
	return v, nil
}

// randomName returns a database name no other run will pick.
func randomName() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails, per crypto/rand
	return "tracium_test_" + hex.EncodeToString(b)
}

// databaseURL returns admin with its database replaced by name, keeping
// user, password, host and parameters.
func databaseURL(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", errors.New("server URL does not parse") // err would echo the password
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// createDatabase creates the empty database name on the server of admin.
func createDatabase(ctx context.Context, admin, name string) error {
	// template0 rather than the default template1: whatever someone put into
	// template1 on a shared server must not leak into "empty" databases, and
	// nobody can be connected to template0, which CREATE DATABASE requires
	// of its template.
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE template0"
	if err := execAdmin(ctx, admin, sql); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// dropDatabase drops name, disconnecting whoever still uses it (a pool a
// test forgot to close must not make cleanup fail). Needs PostgreSQL 13+.
func dropDatabase(ctx context.Context, admin, name string) error {
	sql := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
	if err := execAdmin(ctx, admin, sql); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// execAdmin runs one statement on its own short-lived connection; these are
// rare enough that a pool would only add state to clean up.
func execAdmin(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}
