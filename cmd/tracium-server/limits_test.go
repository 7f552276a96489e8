package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracium/tracium/server/auth"
)

// TestIngestMemoryBound fires 60 concurrent gzip bodies of about 10 KB,
// each expanding to 10 MB of one span, at a server process with an ingest
// memory budget of 64 MiB, and reads the process's peak resident memory.
//
// The bound: the budget caps the bytes all requests hold at once (bodies
// as read and decompressed, their raw and decoded spans), and Go's
// collector lets the heap grow to about twice what is live (GOGC=100)
// before it collects. So the peak is at most the resident memory at rest
// plus twice the budget, plus 32 MiB for the rest: 60 connections, their
// gzip readers and goroutine stacks. Unbounded, the same load took 3 GB.
func TestIngestMemoryBound(t *testing.T) {
	t.Parallel()
	const budget = 64 << 20
	key, _, err := auth.NewKey(0, "test")
	if err != nil {
		t.Fatal(err)
	}
	cmd, url := serverProcess(t, "TRACIUM_DATA_DIR="+t.TempDir(), "TRACIUM_BOOTSTRAP_API_KEY="+key,
		"TRACIUM_INGEST_MEMORY_BYTES="+strconv.Itoa(budget))
	body := bomb(t, 10_000_000)
	if len(body) > 20_000 {
		t.Fatalf("the body is %d bytes compressed; want about 10 KB", len(body))
	}
	time.Sleep(500 * time.Millisecond) // let start-up settle before the baseline
	rest := procStatus(t, cmd.Process.Pid, "VmRSS")

	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 60 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", url+"/v1/ingest", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Encoding", "gzip")
			code := 0
			if resp, err := http.DefaultClient.Do(req); err == nil {
				code = resp.StatusCode
				resp.Body.Close()
			}
			mu.Lock()
			statuses[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	peak := procStatus(t, cmd.Process.Pid, "VmHWM")
	bound := rest + 2*budget + 32<<20
	t.Logf("resident at rest %d MiB, peak %d MiB, bound %d MiB; statuses %v", rest>>20, peak>>20, bound>>20, statuses)
	if peak > bound {
		t.Errorf("peak resident memory %d MiB over the bound of %d MiB", peak>>20, bound>>20)
	}
	if statuses[http.StatusBadRequest] == 0 || statuses[http.StatusBadRequest]+statuses[http.StatusServiceUnavailable] != 60 {
		t.Errorf("statuses %v; want each body read and refused as invalid (400) or refused at the budget (503)", statuses)
	}
}

// bomb is a gzip body that expands to about n bytes: one span whose
// input is a long string and whose name is missing, so that it is read,
// decompressed and decoded whole and then refused.
func bomb(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	head := `{"spans":[{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","start_time":"` +
		time.Now().UTC().Format(time.RFC3339) + `","input":"`
	fmt.Fprint(zw, head, strings.Repeat("a", n-len(head)-5), `"}]}`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// procStatus reads a kB field of /proc/<pid>/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
