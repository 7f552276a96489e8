package query

import (
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/tracium/tracium/server/export"
	"github.com/tracium/tracium/store"
)

// DefaultExportStall is how long an export waits for its client to take a
// write (at most 64 KB) before it gives up and drops the connection. The
// store is not held meanwhile: each of its reads is done, and its rows
// are in memory, before they are written (store.ExportSpans).
const DefaultExportStall = 30 * time.Second

// exportTraces streams every span of the traces the list's filters
// select, newest trace first.
func (h *Handler) exportTraces(w http.ResponseWriter, r *http.Request) {
	p := &params{v: r.URL.Query()}
	f := p.traceFilter()
	format, err := export.ParseFormat("format", p.str("format"))
	if err != nil {
		p.fail("format", "want jsonl or csv")
	}
	if p.err != nil {
		h.fail(w, r, p.err)
		return
	}
	name := "tracium-traces"
	if f.SessionID != "" {
		name = "tracium-session-" + f.SessionID
	}
	h.stream(w, r, format, name, func(emit func(*store.Span) error) error {
		return store.ExportSpans(r.Context(), h.store, projectID(r), f, emit)
	})
}

// exportTrace streams one trace's spans.
func (h *Handler) exportTrace(w http.ResponseWriter, r *http.Request) {
	format, err := export.ParseFormat("format", r.URL.Query().Get("format"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := PathID(r, "traceID")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.stream(w, r, format, "tracium-trace-"+id, func(emit func(*store.Span) error) error {
		return store.ExportTrace(r.Context(), h.store, projectID(r), id, emit)
	})
}

// stream answers with the spans run emits, encoded in format as they come.
// The status and headers wait for the first span, so that an export that
// fails before it (a bad filter, an unknown trace, the database down)
// answers its error as JSON; one that fails later is cut off, the
// connection dropped, so that the client sees an incomplete download
// rather than a short file.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, format export.Format, name string, run func(emit func(*store.Span) error) error) {
	sw := &stallWriter{w: w, rc: http.NewResponseController(w), stall: h.exportStall}
	enc := export.NewEncoder(sw, format)
	started := false
	start := func() {
		started = true
		hd := w.Header()
		hd.Set("Content-Type", format.ContentType())
		hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": format.Filename(name)}))
		hd.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
	}
	err := run(func(s *store.Span) error {
		if !started {
			start()
		}
		return enc.Span(s)
	})
	if err == nil {
		if !started {
			start()
		}
		err = enc.Close()
	}
	switch {
	case err == nil:
		_ = sw.rc.SetWriteDeadline(time.Time{})
	case !started:
		h.fail(w, r, err)
	default:
		if !errors.Is(err, errStalled) && r.Context().Err() == nil {
			h.log.Warn("export cut off", "path", r.URL.Path, "err", err)
		}
		panic(http.ErrAbortHandler) // drops the connection: the download is seen as incomplete
	}
}

// errStalled: the client took no write within the stall bound.
var errStalled = errors.New("export client stalled")

// stallWriter gives each write to the client a deadline, so that a client
// that stops reading is dropped instead of holding the export.
type stallWriter struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

func (s *stallWriter) Write(p []byte) (int, error) {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.stall)) // unsupported only behind a writer that cannot
	n, err := s.w.Write(p)
	if err != nil {
		return n, errors.Join(errStalled, err)
	}
	return n, nil
}
