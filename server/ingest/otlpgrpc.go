package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // exporters may send gzip
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/store"
)

// NewGRPCServer returns a gRPC server that serves OTLP/gRPC's
// TraceService/Export with the guarantees of the HTTP endpoints: the key
// in the "authorization" metadata and the key's rate are checked, and the
// request admitted to the concurrency and memory budget, before its
// message is read; the message is at most MaxBodyBytes (after
// decompression) and must arrive within BodyTimeout; and OK is answered
// only once the accepted spans are queued. The caller serves it and stops
// it (GracefulStop on shutdown).
func (h *Handler) NewGRPCServer() *grpc.Server {
	s := grpc.NewServer(
		grpc.InTapHandle(h.admitExport),
		grpc.MaxRecvMsgSize(int(min(h.cfg.MaxBodyBytes, int64(^uint32(0)>>1)))),
	)
	ptraceotlp.RegisterGRPCServer(s, &traceService{h: h})
	return s
}

// admission is what admitExport granted one export: its key and its claim
// on the budget. The claim is given back once, when the stream ends, and
// is not grown after that.
type admission struct {
	key      store.APIKey
	deadline *time.Timer // cancels the stream when its message is late

	mu       sync.Mutex
	claim    *claim
	released bool
}

type admissionKey struct{}

// admitExport runs when an export's headers arrive, before gRPC reads its
// message: what cannot be admitted is refused without reading it. The
// admission claims the largest message the server may receive, since gRPC
// buffers a message whole before the handler sees it; Export shrinks the
// claim to what the message needs once it has arrived.
func (h *Handler) admitExport(ctx context.Context, info *tap.Info) (context.Context, error) {
	var authorization string
	if v := info.Header.Get("authorization"); len(v) > 0 {
		authorization = v[0]
	}
	key, err := h.authenticate(ctx, authorization)
	if err == nil && !h.limiter.allow(key.ID, time.Now()) {
		err = respond.NewProblem(respond.ErrRateLimited, "", "too many requests for this API key; retry after the RetryInfo delay")
	}
	var c *claim
	if err == nil {
		c, err = h.budget.enter(ctx)
	}
	if err == nil {
		if err = c.hold(ctx, h.cfg.MaxBodyBytes); err != nil {
			c.release()
		}
	}
	if err != nil {
		err = h.grpcError(err)
		h.requests.Inc(endpointOTLPGRPC, status.Code(err).String())
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	a := &admission{key: key, claim: c}
	a.deadline = time.AfterFunc(h.cfg.BodyTimeout, func() { cancel(errSlowBody) })
	context.AfterFunc(ctx, func() {
		a.deadline.Stop()
		a.release()
		cancel(nil)
	})
	return context.WithValue(ctx, admissionKey{}, a), nil
}

// resize makes the claim cover n bytes: it grows within the budget's wait
// or gives back what it no longer needs.
func (a *admission) resize(ctx context.Context, n int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.released:
		return context.Canceled
	case n < a.claim.held:
		a.claim.b.bytes.Release(a.claim.held - n)
		a.claim.held = n
		return nil
	}
	return a.claim.hold(ctx, n)
}

func (a *admission) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.released {
		a.released = true
		a.claim.release()
	}
}

// traceService is TraceService/Export on the ingest handler.
type traceService struct {
	ptraceotlp.UnimplementedGRPCServer
	h *Handler
}

// Export publishes one export's accepted spans before it answers.
func (t *traceService) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	h := t.h
	code := codes.OK
	defer func() { h.requests.Inc(endpointOTLPGRPC, code.String()) }()
	resp, err := t.export(ctx, req)
	if err != nil {
		err = h.grpcError(err)
		code = status.Code(err)
	}
	return resp, err
}

func (t *traceService) export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	h := t.h
	a, ok := ctx.Value(admissionKey{}).(*admission)
	if !ok {
		return ptraceotlp.NewExportResponse(), errors.New("an export reached the handler without admission")
	}
	if !a.deadline.Stop() {
		return ptraceotlp.NewExportResponse(), errSlowBody
	}
	td := req.Traces()
	if td.SpanCount() > h.cfg.MaxSpans {
		return ptraceotlp.NewExportResponse(), errTooManySpans
	}
	// The message, its decoded form, the mapped spans and the encoded
	// chunks, as an HTTP body's claim covers them.
	size := int64((&ptrace.ProtoMarshaler{}).TracesSize(td))
	if err := a.resize(ctx, (decodeFactor+1)*size); err != nil {
		return ptraceotlp.NewExportResponse(), err
	}
	body, err := req.MarshalProto()
	if err != nil {
		return ptraceotlp.NewExportResponse(), fmt.Errorf("encode the export for its id: %w", err)
	}
	id := "otlp-" + requestID(a.key.ProjectID, firstValue(ctx, "idempotency-key"), body)
	return h.exportTraces(ctx, endpointOTLPGRPC, a.key.ProjectID, id, td)
}

func firstValue(ctx context.Context, name string) string {
	if v := metadata.ValueFromIncomingContext(ctx, name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// grpcError answers err as OTLP/gRPC says: the code paired with the
// status the one error map gives it, RetryInfo on what exporters should
// retry after a delay. A 500 says only "internal error" and is logged; a
// 503 is logged as a warning, as over HTTP.
func (h *Handler) grpcError(err error) error {
	switch {
	case errors.Is(err, errSlowBody):
		return status.Error(codes.DeadlineExceeded, "the message did not arrive within the read deadline")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "the export was cancelled; nothing was accepted")
	}
	err = h.problem(endpointOTLPGRPC, err)
	d := respond.Describe(err)
	switch {
	case d.Internal:
		h.cfg.Logger.Error("internal error", "rpc", "TraceService/Export", "err", err)
	case d.Status == http.StatusServiceUnavailable:
		h.cfg.Logger.Warn("unavailable", "rpc", "TraceService/Export", "err", err)
	}
	st := status.New(grpcCode(d), d.Message)
	if d.RetryAfter > 0 {
		delay := durationpb.New(time.Duration(d.RetryAfter) * time.Second)
		if withRetry, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: delay}); err == nil {
			st = withRetry
		}
	}
	return st.Err()
}
