package pgtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// BackendCPU is the CPU time a PostgreSQL backend process (pg_backend_pid)
// has used so far, from /proc/<pid>/schedstat: benchmarks set it beside
// their own figures to say what a write cost the database. It works when
// the server runs on this machine, as the harness's throwaway cluster
// does; elsewhere it fails.
func BackendCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return 0, fmt.Errorf("/proc/%d/schedstat: unexpected %q", pid, raw)
	}
	ns, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/schedstat: %w", pid, err)
	}
	return time.Duration(ns), nil
}
