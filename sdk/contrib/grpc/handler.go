package traciumgrpc

import (
	"context"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	tracium "github.com/tracium/tracium/sdk"
)

// Attribute names and the error type this package records beyond those in
// the SDK's attributes.go. OpenTelemetry's RPC conventions name message
// sizes only for metrics, so the span attributes follow those names.
const (
	attrRPCRequestSize  = "rpc.request.size"  // uncompressed bytes of every request message
	attrRPCResponseSize = "rpc.response.size" // uncompressed bytes of every response message
	errorTypeGRPC       = "grpc_error"        // a failing status code, as http_error is a 5xx
)

// NewServerHandler returns a stats.Handler for grpc.StatsHandler that
// traces every RPC the server handles: one span of type http named by the
// full method, continuing the traceparent in the request metadata. The
// span is in the handler's context until the RPC (or stream) ends.
//
// opts are the SDK's request options: WithSkipPaths and WithSkip match full
// method names ("/grpc.health.v1.Health/Check"); a WithSpanName function
// gets "" and the full method name; WithRequestHeaders names metadata keys;
// WithRequestClient sends the traces that start here through another
// client. The handler is safe for concurrent use.
func NewServerHandler(opts ...tracium.RequestOption) stats.Handler {
	opts = append([]tracium.RequestOption{tracium.WithSpanName(func(_, fullMethod string) string { return fullMethod })}, opts...)
	return &serverHandler{tracer: tracium.NewRequestTracer(opts...)}
}

// NewClientHandler returns a stats.Handler for grpc.WithStatsHandler that
// traces every RPC the client makes inside a trace: one span of type tool
// named by the full method, whose traceparent it adds to the outgoing
// metadata so that the server continues the trace. Calls made outside any
// trace are left alone. The handler is safe for concurrent use.
func NewClientHandler() stats.Handler { return &clientHandler{} }

type serverHandler struct {
	tracer  *tracium.RequestTracer
	methods methodCache
}

type clientHandler struct {
	methods methodCache
}

// The context keys of an RPC's state; one each, so that a client call made
// with a server handler's context never finds the server's RPC.
type (
	serverKey struct{}
	clientKey struct{}
)

// rpcContext is the context of one traced RPC and the RPC's state in one
// allocation. The payload counters are atomic because a stream may send
// and receive on two goroutines at once.
type rpcContext struct {
	context.Context
	client            bool
	span              *tracium.Span
	request, response atomic.Int64
}

// Value returns the RPC's state for its own key.
func (c *rpcContext) Value(key any) any {
	switch key.(type) {
	case serverKey:
		if !c.client {
			return c
		}
	case clientKey:
		if c.client {
			return c
		}
	}
	return c.Context.Value(key)
}

func (h *serverHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	if h.tracer.Skip(info.FullMethodName) {
		return ctx
	}
	md := ctx
	spanCtx, span := h.tracer.Start(ctx, "", info.FullMethodName, func(key string) string { return incoming(md, key) })
	return newRPC(spanCtx, span, h.methods.get(info.FullMethodName), false)
}

func (h *clientHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	if tracium.SpanFromContext(ctx) == nil && tracium.Traceparent(ctx) == "" {
		return ctx
	}
	ctx, span := tracium.StartSpan(ctx, tracium.SpanTool, info.FullMethodName)
	ctx = withTraceparent(ctx, tracium.Traceparent(ctx))
	return newRPC(ctx, span, h.methods.get(info.FullMethodName), true)
}

func newRPC(ctx context.Context, span *tracium.Span, m *method, client bool) *rpcContext {
	if span.IsRecording() {
		span.SetAttribute(tracium.AttrRPCSystem, "grpc")
		span.SetAttribute(tracium.AttrRPCService, m.service)
		span.SetAttribute(tracium.AttrRPCMethod, m.name)
	}
	return &rpcContext{Context: ctx, client: client, span: span}
}

func (h *serverHandler) HandleRPC(ctx context.Context, st stats.RPCStats) {
	if rc, _ := ctx.Value(serverKey{}).(*rpcContext); rc != nil {
		rc.handle(st)
	}
}

func (h *clientHandler) HandleRPC(ctx context.Context, st stats.RPCStats) {
	if rc, _ := ctx.Value(clientKey{}).(*rpcContext); rc != nil {
		rc.handle(st)
	}
}

// handle counts the messages of the RPC and ends its span with the RPC.
func (c *rpcContext) handle(st stats.RPCStats) {
	switch st := st.(type) {
	case *stats.InPayload:
		c.count(!c.client, st.Length)
	case *stats.OutPayload:
		c.count(c.client, st.Length)
	case *stats.End:
		c.end(st.Error)
	}
}

// count adds n bytes to the request side, which the client sends, or to
// the response side.
func (c *rpcContext) count(request bool, n int) {
	if request {
		c.request.Add(int64(n))
	} else {
		c.response.Add(int64(n))
	}
}

func (c *rpcContext) end(err error) {
	s := c.span
	if s.IsRecording() {
		code := status.Code(err)
		s.SetAttribute(tracium.AttrRPCGRPCStatusCode, int(code))
		s.SetAttribute(attrRPCRequestSize, c.request.Load())
		s.SetAttribute(attrRPCResponseSize, c.response.Load())
		if failed(code, c.client) {
			s.Fail(errorTypeGRPC, code.String()+": "+status.Convert(err).Message())
		}
	}
	s.End()
}

// failed reports whether code marks the span failed. On the server only
// the codes that are the server's fault do (as OpenTelemetry's RPC
// conventions have it): a NotFound or InvalidArgument answer is the
// caller's concern. On the client every code but OK does, except Canceled,
// which the caller chose (the usual way to end a stream early).
func failed(code codes.Code, client bool) bool {
	if client {
		return code != codes.OK && code != codes.Canceled
	}
	switch code {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented, codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}

func (h *serverHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (h *serverHandler) HandleConn(context.Context, stats.ConnStats) {}
func (h *clientHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (h *clientHandler) HandleConn(context.Context, stats.ConnStats) {}

// incoming reads one request metadata value. A traceparent sent more than
// once is ignored, as tracium.Extract ignores a repeated header.
func incoming(ctx context.Context, key string) string {
	vs := metadata.ValueFromIncomingContext(ctx, key)
	if len(vs) == 0 || (len(vs) > 1 && strings.EqualFold(key, tracium.TraceparentHeader)) {
		return ""
	}
	return vs[0]
}

// withTraceparent puts tp in the outgoing metadata, replacing one the
// caller (or another instrumentation) put there, so the server sees one.
func withTraceparent(ctx context.Context, tp string) context.Context {
	if metadata.ValueFromOutgoingContext(ctx, tracium.TraceparentHeader) == nil {
		return metadata.AppendToOutgoingContext(ctx, tracium.TraceparentHeader, tp)
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	md.Set(tracium.TraceparentHeader, tp)
	return metadata.NewOutgoingContext(ctx, md)
}
