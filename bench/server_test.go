package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
)

// setupServer gives a benchmark its own database, a tracium-server
// process on it (with env added), the store opened beside it, the
// bootstrap key and the default project.
func setupServer(b *testing.B, env ...string) (*postgres.Store, string, *serverProcess, store.Project) {
	b.Helper()
	st, key, cs, p := setupDeployment(b, deployment{env: env})
	return st, key, cs[0], p
}

// deployment is what setupDeployment starts.
type deployment struct {
	// dbURL is the database; empty for a new one on pgtest's server.
	dbURL string
	// collectors is how many tracium-server processes share it; 0 is 1.
	collectors int
	// env is added to every collector's environment.
	env []string
}

// setupDeployment starts d's collectors, one after the other (the first
// migrates the database), all with the same bootstrap key, and returns
// the store opened beside them, the key, the collectors and the default
// project.
func setupDeployment(b *testing.B, d deployment) (*postgres.Store, string, collectors, store.Project) {
	b.Helper()
	if d.dbURL == "" {
		d.dbURL = pgtest.NewDatabase(b)
	}
	st, err := postgres.Open(context.Background(), postgres.Config{URL: withAppName(b, d.dbURL, benchAppName)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	key, _, err := auth.NewKey(0, "bench")
	if err != nil {
		b.Fatal(err)
	}
	var cs collectors
	for range max(d.collectors, 1) {
		cs = append(cs, startServer(b, withAppName(b, d.dbURL, serverAppName), key, d.env...))
	}
	p, err := st.GetProjectByName(context.Background(), "default")
	if err != nil {
		b.Fatal(err)
	}
	return st, key, cs, p
}

type serverProcess struct {
	cmd      *exec.Cmd
	url      string
	dataDir  string
	pprofURL string // when profiling
}

// startServer builds tracium-server and runs it on dbURL (empty for the
// embedded SQLite) with an embedded NATS, as a separate process so that
// its CPU and memory can be read.
func startServer(b *testing.B, dbURL, key string, env ...string) *serverProcess {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "tracium-server")
	build := exec.Command("go", "build", "-o", bin, "../cmd/tracium-server")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(b)
	cmd := exec.Command(bin)
	dataDir := filepath.Join(dir, "data")
	cmd.Env = append(os.Environ(), "TRACIUM_ADDR="+addr, "TRACIUM_DATA_DIR="+dataDir,
		"TRACIUM_BOOTSTRAP_API_KEY="+key, "TRACIUM_RATE_LIMIT=-1")
	if dbURL != "" {
		cmd.Env = append(cmd.Env, "TRACIUM_DATABASE_URL="+dbURL)
	}
	s := &serverProcess{cmd: cmd, url: "http://" + addr, dataDir: dataDir}
	if profileDir != "" {
		pprofAddr := freeAddr(b)
		cmd.Env = append(cmd.Env, "TRACIUM_PPROF_ADDR="+pprofAddr)
		s.pprofURL = "http://" + pprofAddr
	}
	cmd.Env = append(cmd.Env, env...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(60 * time.Second); ; {
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("server did not become ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitWritten polls /metrics until the writer has committed want spans.
func (s *serverProcess) waitWritten(b *testing.B, want float64) {
	collectors{s}.waitWritten(b, want)
}

func (s *serverProcess) metric(b *testing.B, name string) float64 {
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// cpuSeconds is the process's user plus system CPU time.
func (s *serverProcess) cpuSeconds(b *testing.B) float64 {
	v, err := processCPU(s.cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// freeAddr is a loopback address with a port free right now.
func freeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// peakMB is the process's peak resident set size (VmHWM).
func (s *serverProcess) peakMB(b *testing.B) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// collectors are the tracium-server processes of one deployment.
type collectors []*serverProcess

func (cs collectors) urls() []string {
	out := make([]string, len(cs))
	for i, s := range cs {
		out[i] = s.url
	}
	return out
}

// waitWritten polls /metrics until the collectors' writers have
// committed want spans together.
func (cs collectors) waitWritten(b *testing.B, want float64) {
	for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var written float64
		for _, s := range cs {
			written += s.metric(b, "tracium_writer_spans_written_total")
		}
		if written >= want {
			return
		}
	}
	b.Fatalf("writers did not reach %v spans", want)
}

// cpuSeconds is the collectors' user plus system CPU time together.
func (cs collectors) cpuSeconds(b *testing.B) float64 {
	var total float64
	for _, s := range cs {
		total += s.cpuSeconds(b)
	}
	return total
}

// peakMB is the largest peak resident set size among the collectors.
func (cs collectors) peakMB(b *testing.B) float64 {
	var peak float64
	for _, s := range cs {
		peak = max(peak, s.peakMB(b))
	}
	return peak
}

// profile profiles every collector (see serverProcess.profile) until the
// returned stop is called.
func (cs collectors) profile(b *testing.B) (stop func()) {
	stops := make([]func(), len(cs))
	for i, s := range cs {
		stops[i] = s.profile(b)
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}
