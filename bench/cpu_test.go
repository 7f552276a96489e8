package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/store/postgres"
)

// The application names the two sides' PostgreSQL connections carry, so
// that the CPU of each side's backends can be told apart.
const (
	serverAppName = "tracium-server"
	benchAppName  = "tracium-bench"
)

// withAppName returns the database URL with application_name set.
func withAppName(b *testing.B, dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// cpuSnapshot is the CPU time each backend process had used.
type cpuSnapshot map[int]time.Duration

// backendCPU reads the CPU time of the PostgreSQL backends whose
// connections carry the application name: PostgreSQL runs on this
// machine (the harness's cluster), so /proc has them.
func backendCPU(b *testing.B, st *postgres.Store, appName string) cpuSnapshot {
	rows, err := st.Pool().Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, appName)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	snap := cpuSnapshot{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		if d, err := pgtest.BackendCPU(pid); err == nil {
			snap[pid] = d
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return snap
}

// since is the CPU seconds the backends used after the earlier snapshot;
// a backend that started since counts whole.
func (s cpuSnapshot) since(earlier cpuSnapshot) float64 {
	var total time.Duration
	for pid, v := range s {
		total += v - earlier[pid]
	}
	return total.Seconds()
}

// processCPU is a process's user plus system CPU time, from /proc.
func processCPU(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 || i+2 > len(raw) {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, raw)
	}
	fields := strings.Fields(string(raw[i+2:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100, nil // USER_HZ
}

// profileDir is where the collector's CPU profiles of the end-to-end
// phases go, one file a second, when TRACIUM_BENCH_PROFILE_DIR names it:
// `go tool pprof -top dir/*.pprof` reads them together.
var profileDir = os.Getenv("TRACIUM_BENCH_PROFILE_DIR")

// profile starts taking one-second CPU profiles of the collector, through
// its pprof listener, until the returned stop is called.
func (s *serverProcess) profile(b *testing.B) (stop func()) {
	if profileDir == "" {
		return func() {}
	}
	if err := os.MkdirAll(profileDir, 0o755); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			resp, err := http.Get(s.pprofURL + "/debug/pprof/profile?seconds=1")
			if err != nil {
				b.Errorf("profile: %v", err)
				return
			}
			name := filepath.Join(profileDir, fmt.Sprintf("cpu-%d.pprof", time.Now().UnixNano()))
			f, err := os.Create(name)
			if err == nil {
				_, err = io.Copy(f, resp.Body)
				err = errors.Join(err, f.Close())
			}
			resp.Body.Close()
			if err != nil {
				b.Errorf("profile: %v", err)
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
