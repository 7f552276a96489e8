package collectortest

import (
	"bytes"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a collector running as a child process, for tests that kill
// it (SIGKILL) and start another on the same data directory.
type Process struct {
	// URL is the collector's base URL.
	URL string
	// Cmd is the running process, for its pid and for signals.
	Cmd *exec.Cmd
	out *syncBuffer
}

// BuildServer builds cmd/tracium-server into a temporary folder and
// returns the binary's path.
func BuildServer(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tracium-server")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/tracium/tracium/cmd/tracium-server").CombinedOutput(); err != nil {
		t.Fatalf("build tracium-server: %v\n%s", err, out)
	}
	return bin
}

// StartProcess runs bin with env added to the test's environment, on a
// free port (TRACIUM_ADDR) with no rate limit, and returns once it
// answers /healthz. bin is a tracium-server binary, or a test binary that
// runs the server's main when env tells it to. The process is killed when
// the test ends; its output is logged when the test failed.
func StartProcess(t testing.TB, bin string, env ...string) *Process {
	t.Helper()
	addr := FreeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(cmd.Environ(), append(env, "TRACIUM_ADDR="+addr, "TRACIUM_RATE_LIMIT=-1")...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{URL: "http://" + addr, Cmd: cmd, out: out}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("server output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
// Killing it again, or after the test waited for it, does nothing.
func (p *Process) Kill() {
	if p.Cmd.ProcessState == nil {
		_ = p.Cmd.Process.Signal(syscall.SIGKILL)
		_ = p.Cmd.Wait()
	}
}

// FreeAddr is a loopback address with a port free at the time of the call.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is the output of a process, written by its copying
// goroutines and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
