// Package pgtest gives Go test packages a real PostgreSQL server.
//
// A test package opts in with
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and its tests then call [Database] for the package's shared database or
// [NewDatabase] for a fresh one of their own. Both return a postgres:// URL.
//
// Main finds a server in this order:
//
//  1. TRACIUM_TEST_DATABASE_URL, a URL to any database on a server where the
//     user may CREATE DATABASE;
//  2. a Docker engine, through testcontainers-go (image postgres:16-alpine);
//  3. a throwaway cluster that pgtest initialises and starts itself from the
//     locally installed PostgreSQL programs (initdb, pg_ctl).
//
// If none is available Main fails the run rather than skipping tests, so a
// missing database can never pass for a green build.
//
// A test that needs a server of its own, such as one with a physical
// streaming replica, starts one with [NewCluster] (and
// [Cluster.StartReplica]) from the local PostgreSQL programs, whichever
// server Main found.
//
// Every database pgtest creates has a random name (tracium_test_<hex>), so
// test packages running in parallel processes can share one server, and
// databases left behind by a crashed run never collide with a new one.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvURL names the environment variable that points pgtest at an existing
// server instead of starting one.
const EnvURL = "TRACIUM_TEST_DATABASE_URL"

// opTimeout bounds each administrative statement (CREATE/DROP DATABASE), so a
// wedged server fails a test instead of hanging it until the global timeout.
const opTimeout = 30 * time.Second

// server is a PostgreSQL server that Main found or started.
type server struct {
	url  string // admin URL: any database, user may CREATE DATABASE
	desc string // where it is, for the log line
	stop func() // releases whatever Main started; nil if nothing
}

// state is what Main shares with the test helpers. It is the package's only
// global; mu guards srv, and the Onces make setup and teardown happen once
// even when a signal races with the normal end of Main.
var state struct {
	mu  sync.Mutex
	srv *server

	pkgOnce sync.Once
	pkgName string // package database, "" until created
	pkgURL  string
	pkgErr  error

	teardownOnce sync.Once
}

// Main finds or starts a PostgreSQL server, runs the tests, drops the
// package database (best effort), releases the server and exits with the
// tests' exit code. Call it from TestMain.
//
// If no server can be had, Main prints how to get one and exits with status
// 1 without running any test.
func Main(m *testing.M) {
	srv, err := findServer(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "pgtest: using %s\n", srv.desc)

	state.mu.Lock()
	state.srv = srv
	state.mu.Unlock()

	stopWatching := cleanupOnSignal()
	code := m.Run()
	stopWatching()
	teardown()
	os.Exit(code)
}

// ServerURL returns the admin URL of the server Main is using, for callers
// that want to create databases themselves. It returns "" before Main has
// found a server.
func ServerURL() string {
	state.mu.Lock()
	defer state.mu.Unlock()
	if state.srv == nil {
		return ""
	}
	return state.srv.url
}

// Database returns the URL of this test package's own database. It is
// created on first use and shared by all tests of the package (and test
// process), so tests using it must tolerate each other's data; Main drops it
// at the end.
func Database(t testing.TB) string {
	t.Helper()
	admin := mustServerURL(t)
	state.pkgOnce.Do(func() {
		name := randomName()
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := createDatabase(ctx, admin, name); err != nil {
			state.pkgErr = err
			return
		}
		state.mu.Lock()
		state.pkgName = name
		state.mu.Unlock()
		state.pkgURL, state.pkgErr = databaseURL(admin, name)
	})
	if state.pkgErr != nil {
		t.Fatalf("pgtest: package database: %v", state.pkgErr)
	}
	return state.pkgURL
}

// NewDatabase creates a new, empty database for the calling test alone and
// returns its URL. The database is dropped, together with any connections
// still open to it, when the test and its subtests finish.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t, mustServerURL(t))
}

// newDatabase is NewDatabase on the server of admin.
func newDatabase(t testing.TB, admin string) string {
	t.Helper()
	name := randomName()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := createDatabase(ctx, admin, name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		// The test's context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := dropDatabase(ctx, admin, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	url, err := databaseURL(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return url
}

// mustServerURL fails the test with a hint when Main is not in charge.
func mustServerURL(t testing.TB) string {
	t.Helper()
	u := ServerURL()
	if u == "" {
		t.Fatal("pgtest: no server; the package needs func TestMain(m *testing.M) { pgtest.Main(m) }")
	}
	return u
}

// teardown drops the package database and releases the server. It runs at
// most once, whether reached from Main or from a signal.
func teardown() {
	state.teardownOnce.Do(func() {
		state.mu.Lock()
		srv, name := state.srv, state.pkgName
		state.mu.Unlock()
		if srv == nil {
			return
		}
		// Dropping matters only for servers that outlive us; a throwaway
		// cluster is about to be deleted wholesale.
		if name != "" {
			ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			if err := dropDatabase(ctx, srv.url, name); err != nil {
				fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			}
			cancel()
		}
		if srv.stop != nil {
			srv.stop()
		}
	})
}

// cleanupOnSignal makes SIGINT and SIGTERM release the server before the
// process dies, so an interrupted run leaves no cluster behind. The returned
// function stops watching.
func cleanupOnSignal() (stop func()) {
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(os.Stderr, "pgtest: %v: cleaning up\n", sig)
			teardown()
			// Die of the same signal, as the process would have without us.
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			if s, ok := sig.(syscall.Signal); ok {
				_ = syscall.Kill(os.Getpid(), s)
			}
			time.Sleep(time.Second)
			os.Exit(1)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}
