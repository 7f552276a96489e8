// Package redistest gives Go test packages a real Redis server, as
// internal/pgtest does PostgreSQL. It uses the standard library only, so
// that it can live in the SDK's module beside the integrations that need
// it.
//
// A test package opts in with
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
//
// and its tests call [Get] for the package's database on that server.
//
// Main finds a server in this order:
//
//  1. TRACIUM_TEST_REDIS_URL (redis://[user:password@]host:port);
//  2. a server answering on 127.0.0.1:6379;
//  3. redis-server (Debian's package, which scripts/deps.sh installs)
//     started on a free port of 127.0.0.1 in a temp dir, stopped at the end.
//
// If none is available Main fails the run rather than skipping tests.
//
// Each test package claims a database number of its own, so packages run
// in parallel never see each other's keys: a database is claimed by a
// lock key that expires unless its owner keeps renewing it, and only if it
// is empty or was used by this harness before, so a database holding
// someone else's data on a shared server is never touched. Main flushes
// the claimed database at the end. Tests of one package share it and keep
// apart by their own key names (asynq queues named per test).
package redistest

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvURL names the environment variable that points redistest at an
// existing server.
const EnvURL = "TRACIUM_TEST_REDIS_URL"

// defaultAddr is where a developer's Redis usually listens.
const defaultAddr = "127.0.0.1:6379"

// Keys of the claim; they live in the claimed database.
const (
	lockKey = "tracium:redistest:lock" // expires unless renewed
	usedKey = "tracium:redistest:used" // outlives a crashed run
)

const (
	lockTTL   = 60 * time.Second
	renewEach = lockTTL / 3
	opTimeout = 5 * time.Second
)

// Database is this test package's database on the server Main found.
type Database struct {
	Addr     string // host:port
	Username string // "" unless the server uses ACL users
	Password string
	DB       int
}

// URL returns the database as a redis:// URL.
func (d Database) URL() string {
	u := url.URL{Scheme: "redis", Host: d.Addr, Path: fmt.Sprintf("/%d", d.DB)}
	if d.Password != "" {
		u.User = url.UserPassword(d.Username, d.Password)
	}
	return u.String()
}

// server is a Redis server that Main found or started.
type server struct {
	addr, username, password string
	desc                     string // where it is, for the log line
	stop                     func() // releases what Main started; nil if nothing
}

// state is what Main shares with Get; mu guards every field.
var state struct {
	mu       sync.Mutex
	srv      *server
	db       int
	conn     *conn // holds the claim
	stopLock chan struct{}

	teardownOnce sync.Once
}

// Main finds or starts a Redis server, claims this package's database,
// runs the tests, flushes the database, releases the server and exits
// with the tests' exit code. Call it from TestMain.
func Main(m *testing.M) {
	srv, err := findServer()
	if err != nil {
		fmt.Fprintf(os.Stderr, "redistest: %v\n", err)
		os.Exit(1)
	}
	c, db, err := claim(srv)
	if err != nil {
		if srv.stop != nil {
			srv.stop()
		}
		fmt.Fprintf(os.Stderr, "redistest: %s: %v\n", srv.desc, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "redistest: using %s, database %d\n", srv.desc, db)
	state.mu.Lock()
	state.srv, state.db, state.conn, state.stopLock = srv, db, c, make(chan struct{})
	state.mu.Unlock()
	go renewLock(state.stopLock)

	stopWatching := cleanupOnSignal()
	code := m.Run()
	stopWatching()
	teardown()
	os.Exit(code)
}

// Get returns this package's database. It fails the test when the
// package's TestMain does not call Main.
func Get(tb testing.TB) Database {
	tb.Helper()
	state.mu.Lock()
	defer state.mu.Unlock()
	if state.srv == nil {
		tb.Fatal("redistest: no server; the package needs func TestMain(m *testing.M) { redistest.Main(m) }")
	}
	return Database{Addr: state.srv.addr, Username: state.srv.username, Password: state.srv.password, DB: state.db}
}

// findServer tries the places in the package comment, in order.
func findServer() (*server, error) {
	if raw := os.Getenv(EnvURL); raw != "" {
		srv, err := serverFromURL(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvURL, err)
		}
		if err := ping(srv); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvURL, err)
		}
		return srv, nil
	}
	local := &server{addr: defaultAddr, desc: "the server on " + defaultAddr}
	if ping(local) == nil {
		return local, nil
	}
	srv, err := startServer()
	if err != nil {
		return nil, fmt.Errorf("no Redis at %s or on %s, and none could be started: %w (install redis-server: scripts/deps.sh)", EnvURL, defaultAddr, err)
	}
	return srv, nil
}

// serverFromURL reads redis://[user:password@]host[:port]; a database
// number in the path is ignored, because each package claims its own.
func serverFromURL(raw string) (*server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "redis" || u.Host == "" {
		return nil, errors.New("want redis://[user:password@]host:port")
	}
	srv := &server{addr: u.Host}
	if u.Port() == "" {
		srv.addr += ":6379"
	}
	srv.desc = "the server at " + srv.addr + " (" + EnvURL + ")"
	if u.User != nil {
		srv.username = u.User.Username()
		srv.password, _ = u.User.Password()
		if srv.password == "" {
			// redis://secret@host is the old password-only form.
			srv.username, srv.password = "", srv.username
		}
	}
	return srv, nil
}

// ping reports whether srv answers PING.
func ping(srv *server) error {
	c, err := dial(srv.addr, srv.username, srv.password, time.Second)
	if err != nil {
		return err
	}
	defer c.close()
	v, err := c.do(time.Second, "PING")
	if err != nil {
		return err
	}
	if v != "PONG" {
		return fmt.Errorf("PING answered %v", v)
	}
	return nil
}

// claim finds a database of srv that no live test package holds and that
// is empty or was this harness's before, and locks it; the returned
// connection has it selected. It tries the highest numbers first, because
// applications use the low ones.
func claim(srv *server) (*conn, int, error) {
	c, err := dial(srv.addr, srv.username, srv.password, opTimeout)
	if err != nil {
		return nil, 0, err
	}
	token := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	for db := 15; db >= 0; db-- {
		if _, err := c.do(opTimeout, "SELECT", fmt.Sprint(db)); err != nil {
			var re replyError
			if errors.As(err, &re) {
				continue // the server has fewer databases
			}
			c.close()
			return nil, 0, err
		}
		ok, err := tryClaim(c, token)
		if err != nil {
			c.close()
			return nil, 0, err
		}
		if ok {
			return c, db, nil
		}
	}
	c.close()
	return nil, 0, errors.New("no free database: every one is in use by another test package or holds other data")
}

// tryClaim takes the selected database when it is free.
func tryClaim(c *conn, token string) (bool, error) {
	set, err := c.do(opTimeout, "SET", lockKey, token, "NX", "PX", fmt.Sprint(lockTTL.Milliseconds()))
	if err != nil || set == nil {
		return false, err // nil: a live test package holds it
	}
	used, err := c.do(opTimeout, "EXISTS", usedKey)
	if err != nil {
		return false, err
	}
	size, err := c.do(opTimeout, "DBSIZE")
	if err != nil {
		return false, err
	}
	if used != int64(1) && size != int64(1) {
		// Someone else's data: leave it as it was.
		_, err := c.do(opTimeout, "DEL", lockKey)
		return false, err
	}
	_, err = c.do(opTimeout, "SET", usedKey, "1")
	return err == nil, err
}

// renewLock keeps the claim alive until stop is closed.
func renewLock(stop chan struct{}) {
	t := time.NewTicker(renewEach)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			state.mu.Lock()
			if state.conn != nil {
				if _, err := state.conn.do(opTimeout, "PEXPIRE", lockKey, fmt.Sprint(lockTTL.Milliseconds())); err != nil {
					fmt.Fprintf(os.Stderr, "redistest: renew the claim: %v\n", err)
				}
			}
			state.mu.Unlock()
		}
	}
}

// teardown flushes the claimed database (which drops the claim) and
// releases the server. It runs at most once, from Main or from a signal.
func teardown() {
	state.teardownOnce.Do(func() {
		state.mu.Lock()
		defer state.mu.Unlock()
		if state.stopLock != nil {
			close(state.stopLock)
		}
		if state.conn != nil {
			if _, err := state.conn.do(opTimeout, "FLUSHDB"); err != nil {
				fmt.Fprintf(os.Stderr, "redistest: flush database %d: %v\n", state.db, err)
			}
			state.conn.close()
			state.conn = nil
		}
		if state.srv != nil && state.srv.stop != nil {
			state.srv.stop()
		}
	})
}

// cleanupOnSignal makes SIGINT and SIGTERM release the database and the
// server before the process dies. The returned function stops watching.
func cleanupOnSignal() (stop func()) {
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(os.Stderr, "redistest: %v: cleaning up\n", sig)
			teardown()
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

// tail returns about the last n bytes of file, for error messages.
func tail(file string, n int) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return cmp.Or(strings.TrimSpace(string(b)), "(empty log)")
}
