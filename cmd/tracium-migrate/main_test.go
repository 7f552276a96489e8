package main

import (
	"strings"
	"testing"
)

// TestCommands runs up, version, status, down and up again on a SQLite
// file through the command's own entry point.
func TestCommands(t *testing.T) {
	t.Setenv("TRACIUM_DATABASE_URL", "")
	t.Setenv("TRACIUM_DATA_DIR", t.TempDir())
	ctx := t.Context()
	for _, cmd := range []string{"up", "version", "status", "down", "up"} {
		if err := run(ctx, cmd); err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
	}
	if err := run(ctx, "sideways"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: err = %v", err)
	}
	t.Setenv("TRACIUM_DATABASE_URL", "mysql://nope")
	if err := run(ctx, "up"); err == nil {
		t.Error("a non-postgres URL was accepted")
	}
}
