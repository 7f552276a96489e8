package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clusterPrefix starts the name of every temp dir holding a throwaway
// cluster; reapStale looks for it.
const clusterPrefix = "tracium-pgtest-"

// clusterConf is appended to postgresql.conf. Tests need neither durability
// nor crash safety, only speed; max_connections leaves room for the pools of
// parallel tests. %s is the quoted socket directory.
const clusterConf = `
# Added by pgtest (github.com/tracium/tracium/internal/pgtest).
listen_addresses = '127.0.0.1'
unix_socket_directories = %s
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
# What a streaming replica (Cluster.StartReplica) needs; PostgreSQL's
# defaults already, set here so that a changed default cannot break it.
wal_level = replica
max_wal_senders = 10
`

// cluster is a throwaway PostgreSQL cluster in a temp dir: the data
// directory in dir/data, the server log in dir/postgres.log, and the unix
// socket in dir itself.
type cluster struct {
	who runAs
	bin string // directory of initdb and pg_ctl
	dir string
}

func (c *cluster) data() string    { return filepath.Join(c.dir, "data") }
func (c *cluster) logFile() string { return filepath.Join(c.dir, "postgres.log") }

// clusterServer initialises and starts a throwaway cluster on a free port
// of 127.0.0.1.
func clusterServer(ctx context.Context) (*server, error) {
	c, port, err := startNewCluster()
	if err != nil {
		return nil, err
	}
	admin := adminURL(port)
	v, err := waitReady(ctx, admin)
	if err != nil {
		c.stop()
		return nil, err
	}
	return &server{
		url:  admin,
		desc: fmt.Sprintf("throwaway cluster at 127.0.0.1:%d (PostgreSQL %s)", port, v),
		stop: c.stop,
	}, nil
}

// startNewCluster initialises a throwaway cluster in a new temp dir and
// starts it on a free port of 127.0.0.1, which it returns.
func startNewCluster() (*cluster, int, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, 0, err
	}
	who, err := clusterUser()
	if err != nil {
		return nil, 0, err
	}
	base := tempBase(who)
	reapStale(base, bin, who)

	c, err := newCluster(base, bin, who)
	if err != nil {
		return nil, 0, err
	}
	if err := c.initdb(); err != nil {
		c.remove()
		return nil, 0, err
	}
	port, err := c.startOnFreePort()
	if err != nil {
		c.remove()
		return nil, 0, err
	}
	return c, port, nil
}

// adminURL is the URL of the postgres database, as user postgres, of the
// throwaway cluster on port.
func adminURL(port int) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// newCluster makes the cluster's temp dir, owned by the user the cluster
// runs as, and records our pid in it for reapStale.
func newCluster(base, bin string, who runAs) (*cluster, error) {
	dir, err := os.MkdirTemp(base, clusterPrefix)
	if err != nil {
		return nil, err
	}
	c := &cluster{who: who, bin: bin, dir: dir}
	err = os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644)
	if err == nil && who.cred != nil {
		err = os.Chown(dir, int(who.cred.Uid), int(who.cred.Gid))
		if err == nil {
			// PostgreSQL insists on a private data directory; the parent
			// being private too costs nothing.
			err = os.Chmod(dir, 0o700)
		}
	}
	if err != nil {
		c.remove()
		return nil, err
	}
	return c, nil
}

// initdb creates the cluster and appends the test settings to its config.
func (c *cluster) initdb() error {
	// --locale=C: independent of the locales installed on the machine, and
	// sorts the same everywhere.
	err := c.who.run(c.dir, c.bin, "initdb", "-D", c.data(),
		"-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync")
	if err != nil {
		return err
	}
	return c.appendConf(fmt.Sprintf(clusterConf, c.sockets()))
}

// sockets is the quoted unix_socket_directories setting: the cluster's
// dir. A socket path is limited to about 107 bytes; past that, do without
// the socket rather than fail (all our URLs use TCP anyway).
func (c *cluster) sockets() string {
	if len(c.dir)+len("/.s.PGSQL.65535") < 100 {
		return "'" + strings.ReplaceAll(c.dir, "'", "''") + "'"
	}
	return "''"
}

// appendConf appends settings to the cluster's postgresql.conf, where
// they override earlier lines.
func (c *cluster) appendConf(settings string) error {
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(settings)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// startOnFreePort starts the server on a free port and returns the port.
// Another process may take the free port before the server binds it;
// parallel test packages make that plausible, so it tries again elsewhere.
func (c *cluster) startOnFreePort() (int, error) {
	var port int
	var err error
	for attempt := 1; ; attempt++ {
		if port, err = freePort(); err == nil {
			err = c.start(port)
		}
		if err == nil || attempt == 3 {
			return port, err
		}
	}
}

// start starts the server on port and waits until it accepts connections.
func (c *cluster) start(port int) error {
	err := c.who.run(c.dir, c.bin, "pg_ctl", "start", "-D", c.data(), "-l", c.logFile(),
		"-w", "-t", "60", "-s", "-o", "-p "+strconv.Itoa(port))
	if err != nil {
		return fmt.Errorf("%w\nserver log:\n%s", err, tail(c.logFile(), 2000))
	}
	return nil
}

// stop stops the server at once (there is nothing to save) and deletes the
// cluster.
func (c *cluster) stop() {
	err := c.who.run(c.dir, c.bin, "pg_ctl", "stop", "-D", c.data(), "-m", "immediate", "-w", "-s")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: stopping cluster: %v\n", err)
	}
	c.remove()
}

func (c *cluster) remove() {
	if err := os.RemoveAll(c.dir); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
	}
}

// waitReady waits until the server at url answers a query and returns its
// version. pg_ctl -w has already waited for the postmaster; this confirms
// the TCP listener from the client's side.
func waitReady(ctx context.Context, url string) (string, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := serverVersion(ctx, url)
		if err == nil || time.Now().After(deadline) {
			return v, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a TCP port of 127.0.0.1 that is free right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tempBase returns where to make the cluster's temp dir: os.TempDir, unless
// the cluster runs as another user who could not reach it (TMPDIR under
// /root, say), then /tmp.
func tempBase(who runAs) string {
	base := os.TempDir()
	if who.cred == nil || traversable(base) {
		return base
	}
	return "/tmp"
}

// traversable reports whether everyone may pass through dir and each of
// its parents.
func traversable(dir string) bool {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// reapStale stops and deletes clusters whose test process died without
// cleaning up: killed, or panicked on -test.timeout, which bypasses Main.
// Only clusters of the same user are touched, and only if their owner.pid
// names a process that no longer exists.
func reapStale(base, bin string, who runAs) {
	dirs, _ := filepath.Glob(filepath.Join(base, clusterPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue // not ours, or still being set up
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		fi, err := os.Stat(dir)
		if err != nil {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != who.uid {
			continue
		}
		data := filepath.Join(dir, "data")
		// pg_ctl status succeeds only if a server is running.
		if who.run(dir, bin, "pg_ctl", "status", "-D", data) == nil {
			if err := who.run(dir, bin, "pg_ctl", "stop", "-D", data, "-m", "immediate", "-w", "-s"); err != nil {
				continue // never delete a live server's files
			}
		}
		fmt.Fprintf(os.Stderr, "pgtest: removing stale cluster %s\n", dir)
		_ = os.RemoveAll(dir)
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
	return strings.TrimSpace(string(b))
}
