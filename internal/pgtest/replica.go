package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a throwaway PostgreSQL cluster a test starts for itself, apart
// from the server Main found, from the machine's PostgreSQL programs: for
// a test that needs a server of its own, or a physical streaming replica
// of one (StartReplica). It is stopped and deleted when the test ends.
type Cluster struct {
	// URL is the admin URL: database postgres, user postgres, over TCP.
	URL string
	c   *cluster
}

// NewCluster initialises and starts a cluster for the calling test alone,
// with the settings of the cluster Main starts (fsync off).
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	c, port, err := startNewCluster()
	if err != nil {
		t.Fatalf("pgtest: new cluster: %v", err)
	}
	return ready(t, c, port)
}

// ready waits until the started cluster on port answers, and stops it
// when the test ends.
func ready(t testing.TB, c *cluster, port int) *Cluster {
	t.Helper()
	t.Cleanup(c.stop)
	cl := &Cluster{URL: adminURL(port), c: c}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := waitReady(ctx, cl.URL); err != nil {
		t.Fatalf("pgtest: cluster at %s: %v", cl.URL, err)
	}
	return cl
}

// NewDatabase creates a new, empty database on the cluster for the calling
// test, as the package's NewDatabase does on Main's server.
func (cl *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t, cl.URL)
}

// StartReplica makes a physical streaming replica of the cluster: a base
// backup of it (pg_basebackup -R, streaming the WAL written meanwhile) in
// a new data directory, started as a hot standby on its own port. It
// replays everything the primary writes, every database, and takes read
// queries; writes fail there. The primary must outlive it; it is stopped
// when the test ends, before the primary.
func (cl *Cluster) StartReplica(t testing.TB) *Cluster {
	t.Helper()
	if !isExecutable(filepath.Join(cl.c.bin, "pg_basebackup")) {
		t.Fatalf("pgtest: pg_basebackup not found beside initdb in %s (Debian: apt-get install postgresql)", cl.c.bin)
	}
	r, err := newCluster(filepath.Dir(cl.c.dir), cl.c.bin, cl.c.who)
	if err != nil {
		t.Fatalf("pgtest: replica: %v", err)
	}
	u, err := url.Parse(cl.URL)
	if err != nil {
		r.remove()
		t.Fatalf("pgtest: replica: %v", err)
	}
	// -c fast: a checkpoint now rather than at the next interval; -R
	// writes standby.signal and primary_conninfo, which make the copy a
	// standby streaming from the primary.
	err = r.who.run(r.dir, r.bin, "pg_basebackup", "-h", u.Hostname(), "-p", u.Port(), "-U", "postgres",
		"-D", r.data(), "-R", "-X", "stream", "-c", "fast", "--no-sync")
	if err == nil {
		// The copied configuration names the primary's socket directory.
		err = r.appendConf(fmt.Sprintf("\n# Added by pgtest for the replica.\nunix_socket_directories = %s\n", r.sockets()))
	}
	var port int
	if err == nil {
		port, err = r.startOnFreePort()
	}
	if err != nil {
		r.remove()
		t.Fatalf("pgtest: replica of %s: %v", cl.URL, err)
	}
	return ready(t, r, port)
}

// DatabaseURL is dbURL, a database's URL on any server, pointed at this
// cluster instead: on a replica, where the primary's database is read.
func (cl *Cluster) DatabaseURL(dbURL string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", errors.New("database URL does not parse")
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return "", errors.New("database URL names no database")
	}
	return databaseURL(cl.URL, name)
}

// CPU is the CPU time the cluster's processes have used so far: the
// postmaster and its children alive now (on a replica, the WAL receiver
// and the startup process that replays the WAL, and the backends serving
// reads). A backend that has exited no longer counts.
func (cl *Cluster) CPU() (time.Duration, error) {
	raw, err := os.ReadFile(filepath.Join(cl.c.data(), "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	postmaster, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return 0, fmt.Errorf("postmaster.pid: %w", err)
	}
	total, err := BackendCPU(postmaster)
	if err != nil {
		return 0, err
	}
	children, err := childrenOf(postmaster)
	if err != nil {
		return 0, err
	}
	for _, pid := range children {
		if d, err := BackendCPU(pid); err == nil { // it may have exited since
			total += d
		}
	}
	return total, nil
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) ([]int, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, f := range stats {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue // exited
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := strings.LastIndexByte(string(raw), ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(raw[i+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		if child, err := strconv.Atoi(filepath.Base(filepath.Dir(f))); err == nil {
			out = append(out, child)
		}
	}
	return out, nil
}
