package ingest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/queue/batch"
	"github.com/tracium/tracium/store"
)

const testKey = "sk_live_0123456789abcdefghijklmnopqrstuvwxyzABCD"

type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, secret string) (store.APIKey, error) {
	if secret != testKey {
		return store.APIKey{}, auth.ErrUnauthorized
	}
	return store.APIKey{ID: 1, ProjectID: 7}, nil
}

// fakeQueue keeps what is published.
type fakeQueue struct {
	mu       sync.Mutex
	payloads [][]byte
}

func (q *fakeQueue) Publish(_ context.Context, _ int64, _ string, payload []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.payloads = append(q.payloads, append([]byte(nil), payload...))
	return nil
}

func (q *fakeQueue) MaxPayload() int64 { return 1 << 20 }

func (q *fakeQueue) spans(t testing.TB) []store.Span {
	q.mu.Lock()
	defer q.mu.Unlock()
	var all []store.Span
	for _, p := range q.payloads {
		b, err := batch.Decode(p)
		if err != nil {
			t.Fatalf("published payload %q: %v", p, err)
		}
		all = append(all, b.Spans...)
	}
	return all
}

func newTestHandler(t testing.TB, cfg Config) (*Handler, *fakeQueue) {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.RateLimit = -1
	q := &fakeQueue{}
	h, err := New(cfg, fakeAuth{}, q)
	if err != nil {
		t.Fatal(err)
	}
	return h, q
}

// sampleExport is a small export built with pdata, a seed for the fuzz
// target.
func sampleExport() ptrace.Traces {
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	s.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	s.SetName("chat gpt-4o-mini")
	now := time.Now()
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Second)))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
	s.Attributes().PutStr("gen_ai.operation.name", "chat")
	s.Attributes().PutInt("gen_ai.usage.input_tokens", 12)
	return td
}

// FuzzOTLPHTTP feeds arbitrary bodies to /v1/traces as protobuf and as
// JSON: it must answer 200, 400 or 413, never panic, give back all the
// memory it claimed, and queue only spans that are valid.
func FuzzOTLPHTTP(f *testing.F) {
	req := ptraceotlp.NewExportRequestFromTraces(sampleExport())
	pb, _ := req.MarshalProto()
	js, _ := req.MarshalJSON()
	f.Add(pb)
	f.Add(js)
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"01","name":""}]}]}]}`))
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0x0f})
	h, q := newTestHandler(f, Config{MaxBodyBytes: 1 << 16, MemoryBytes: MinMemoryBytes(1 << 16)})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ct := range []string{contentTypeProto, contentTypeJSON} {
			r := httptest.NewRequest("POST", "/v1/traces", bytes.NewReader(body))
			r.Header.Set("Content-Type", ct)
			r.Header.Set("Authorization", "Bearer "+testKey)
			w := httptest.NewRecorder()
			h.otlpHTTP(w, r)
			switch w.Code {
			case 200, 400, 413:
			default:
				t.Fatalf("%s: status %d %q", ct, w.Code, w.Body.Bytes())
			}
			if got := w.Header().Get("Content-Type"); got != ct {
				t.Fatalf("answered %s in %s", ct, got)
			}
		}
		for _, s := range q.spans(t) {
			if err := s.ValidateAt(time.Now(), store.Window{}); err != nil {
				t.Fatalf("queued an invalid span: %v", err)
			}
		}
		if !h.budget.bytes.TryAcquire(h.budget.total) {
			t.Fatal("a request kept part of the memory budget")
		}
		h.budget.bytes.Release(h.budget.total)
	})
}

// startGRPC serves h's OTLP/gRPC on a loopback port and returns a client.
func startGRPC(t *testing.T, h *Handler) (*grpc.ClientConn, ptraceotlp.GRPCClient) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := h.NewGRPCServer()
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, ptraceotlp.NewGRPCClient(conn)
}

// waitBudgetBack waits until every claim on h's budget is given back,
// failing the test after a while: a claim that is never released would
// starve ingest.
func waitBudgetBack(t *testing.T, h *Handler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := h.budget.bytes.Acquire(ctx, h.budget.total); err != nil {
		t.Fatal("the memory budget is not all back after the exports ended")
	}
	h.budget.bytes.Release(h.budget.total)
	if err := h.budget.requests.Acquire(ctx, int64(h.cfg.MaxConcurrent)); err != nil {
		t.Fatal("the concurrency budget is not all back after the exports ended")
	}
	h.budget.requests.Release(int64(h.cfg.MaxConcurrent))
}

// TestGRPCClaims: an export's claim on the budget is given back whatever
// becomes of it: answered, refused at admission, or a message that never
// arrives (cut off at the body deadline, the claim released).
func TestGRPCClaims(t *testing.T) {
	t.Parallel()
	h, _ := newTestHandler(t, Config{MaxBodyBytes: 1 << 16, MemoryBytes: MinMemoryBytes(1 << 16), BodyTimeout: 300 * time.Millisecond})
	conn, client := startGRPC(t, h)
	req := ptraceotlp.NewExportRequestFromTraces(sampleExport())
	good := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+testKey)
	for range 3 {
		if _, err := client.Export(good, req); err != nil {
			t.Fatalf("export: %v", err)
		}
	}
	bad := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer sk_live_nope")
	if _, err := client.Export(bad, req); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a wrong key: %v, want Unauthenticated", err)
	}
	if _, err := client.Export(t.Context(), req); status.Code(err) != codes.Unauthenticated {
		t.Errorf("no key: %v, want Unauthenticated", err)
	}

	// Headers, then no message: the collector gives up at its deadline.
	ctx, cancel := context.WithTimeout(good, 20*time.Second)
	defer cancel()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true},
		"/opentelemetry.proto.collector.trace.v1.TraceService/Export")
	if err != nil {
		t.Fatal(err)
	}
	var resp struct{}
	err = stream.RecvMsg(&resp)
	if code := status.Code(err); code == codes.OK || ctx.Err() != nil {
		t.Errorf("a message that never came: %v (client deadline passed: %v); want the collector to end the export", err, ctx.Err())
	}
	waitBudgetBack(t, h)
}
