package postgres_test

import (
	"testing"
	"time"

	"github.com/tracium/tracium/store/storetest"
)

// TestToastCompression: where the server has lz4, the store's
// connections compress with it, and a trace's search text, long enough
// to be compressed, is stored so.
func TestToastCompression(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	ctx := t.Context()
	var lz4 bool
	if err := st.Pool().QueryRow(ctx, `SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&lz4); err != nil {
		t.Fatal(err)
	}
	want := "pglz"
	if lz4 {
		want = "lz4"
	}
	p, err := st.CreateProject(ctx, "compression")
	if err != nil {
		t.Fatal(err)
	}
	spans := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 1 << 10, Start: time.Now().Add(-time.Hour), Spacing: time.Second}.Trace(0)
	if err := st.WriteSpans(ctx, p.ID, spans); err != nil {
		t.Fatal(err)
	}
	var setting, stored string
	if err := st.Pool().QueryRow(ctx, `SHOW default_toast_compression`).Scan(&setting); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool().QueryRow(ctx, `SELECT coalesce(pg_column_compression(search_text), '') FROM traces WHERE project_id = $1`, p.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if setting != want || stored != want {
		t.Errorf("connections compress with %q and the search text is stored with %q; want %q (lz4 available: %v)", setting, stored, want, lz4)
	}
}
