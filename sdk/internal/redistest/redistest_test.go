package redistest

import (
	"bufio"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// setup connects to this package's database.
func setup(t *testing.T) (*conn, Database) {
	t.Helper()
	d := Get(t)
	c, err := dial(d.Addr, d.Username, d.Password, opTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.close() })
	mustDo(t, c, "SELECT", fmt.Sprint(d.DB))
	return c, d
}

func mustDo(t *testing.T, c *conn, args ...string) any {
	t.Helper()
	v, err := c.do(opTimeout, args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

func TestDatabaseIsClaimedAndUsable(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	mustDo(t, c, "SET", "redistest:probe", "v")
	if got := mustDo(t, c, "GET", "redistest:probe"); got != "v" {
		t.Fatalf("GET = %v, want v", got)
	}
	if got := mustDo(t, c, "EXISTS", lockKey, usedKey); got != int64(2) {
		t.Fatalf("claim keys present = %v, want 2", got)
	}
	if ttl := mustDo(t, c, "PTTL", lockKey).(int64); ttl <= 0 || ttl > lockTTL.Milliseconds() {
		t.Fatalf("lock PTTL = %d ms, want in (0, %d]", ttl, lockTTL.Milliseconds())
	}
}

// A second claim on the same server, as a parallel test package makes,
// gets another database; a database holding someone else's keys is left
// as it was.
func TestClaimSkipsHeldAndForeignDatabases(t *testing.T) {
	t.Parallel()
	d := Get(t)
	srv := &server{addr: d.Addr, username: d.Username, password: d.Password}
	c2, db2, err := claim(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c2.do(opTimeout, "FLUSHDB")
		c2.close()
	})
	if db2 == d.DB {
		t.Fatalf("second claim got database %d, which this package holds", db2)
	}

	// Make db2 look like an application's database, then try to claim it.
	mustDo(t, c2, "DEL", lockKey, usedKey)
	mustDo(t, c2, "SET", "app:data", "keep")
	ok, err := tryClaim(c2, "other")
	if err != nil || ok {
		t.Fatalf("tryClaim on a foreign database = %v, %v; want false", ok, err)
	}
	if got := mustDo(t, c2, "GET", "app:data"); got != "keep" {
		t.Fatalf("foreign key = %v, want it untouched", got)
	}
	if got := mustDo(t, c2, "EXISTS", lockKey, usedKey); got != int64(0) {
		t.Fatalf("claim keys left in a foreign database: %v", got)
	}
}

func TestServerFromURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in                       string
		addr, username, password string
		wantErr                  bool
	}{
		{in: "redis://localhost", addr: "localhost:6379"},
		{in: "redis://127.0.0.1:6380/3", addr: "127.0.0.1:6380"},
		{in: "redis://:s3cret@h:1", addr: "h:1", password: "s3cret"},
		{in: "redis://s3cret@h:1", addr: "h:1", password: "s3cret"},
		{in: "redis://alice:pw@h:1", addr: "h:1", username: "alice", password: "pw"},
		{in: "http://h:1", wantErr: true},
		{in: "redis://", wantErr: true},
		{in: "::", wantErr: true},
	}
	for _, tt := range tests {
		srv, err := serverFromURL(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("serverFromURL(%q) = %+v, want an error", tt.in, srv)
			}
			continue
		}
		if err != nil {
			t.Errorf("serverFromURL(%q): %v", tt.in, err)
			continue
		}
		if srv.addr != tt.addr || srv.username != tt.username || srv.password != tt.password {
			t.Errorf("serverFromURL(%q) = %q %q %q, want %q %q %q", tt.in, srv.addr, srv.username, srv.password, tt.addr, tt.username, tt.password)
		}
		if strings.Contains(srv.desc, "s3cret") || strings.Contains(srv.desc, ":pw@") {
			t.Errorf("serverFromURL(%q) desc %q shows the password", tt.in, srv.desc)
		}
	}
}

func TestDatabaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    Database
		want string
	}{
		{Database{Addr: "127.0.0.1:6379", DB: 14}, "redis://127.0.0.1:6379/14"},
		{Database{Addr: "h:1", Password: "p w", DB: 0}, "redis://:p%20w@h:1/0"},
		{Database{Addr: "h:1", Username: "u", Password: "p", DB: 2}, "redis://u:p@h:1/2"},
	}
	for _, tt := range tests {
		if got := tt.d.URL(); got != tt.want {
			t.Errorf("%+v.URL() = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestReadReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    any
		wantErr bool
	}{
		{in: "+OK\r\n", want: "OK"},
		{in: "-ERR no\r\n", want: replyError("ERR no")},
		{in: ":42\r\n", want: int64(42)},
		{in: "$3\r\nabc\r\n", want: "abc"},
		{in: "$0\r\n\r\n", want: ""},
		{in: "$-1\r\n", want: nil},
		{in: "*2\r\n:1\r\n$1\r\nx\r\n", want: []any{int64(1), "x"}},
		{in: "*-1\r\n", want: nil},
		{in: "+OK\n", wantErr: true},
		{in: "$5\r\nabc\r\n", wantErr: true},
		{in: "$3\r\nabcde", wantErr: true},
		{in: "$99999999999\r\n", wantErr: true},
		{in: ":x\r\n", wantErr: true},
		{in: "?\r\n", wantErr: true},
		{in: "\r\n", wantErr: true},
		{in: "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", wantErr: true},
	}
	for _, tt := range tests {
		got, err := readReply(bufio.NewReader(strings.NewReader(tt.in)), 0)
		if tt.wantErr {
			if err == nil {
				t.Errorf("readReply(%q) = %#v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("readReply(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
}

// FuzzReadReply: no reply bytes crash the decoder or make it read past
// its bounds.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"+OK\r\n", ":1\r\n", "$3\r\nabc\r\n", "*2\r\n$1\r\na\r\n:2\r\n", "-ERR x\r\n", "$-1\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = readReply(bufio.NewReader(strings.NewReader(string(b))), 0)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("readReply(%q) did not return", b)
		}
	})
}
