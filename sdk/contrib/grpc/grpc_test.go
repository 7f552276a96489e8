package traciumgrpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	tracium "github.com/tracium/tracium/sdk"
	traciumgrpc "github.com/tracium/tracium/sdk/contrib/grpc"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

const (
	unary  = "/grpc.testing.TestService/UnaryCall"
	output = "/grpc.testing.TestService/StreamingOutputCall"
	duplex = "/grpc.testing.TestService/FullDuplexCall"
)

type testBundle struct {
	coll   *spantest.Collector
	client *tracium.Client
	llm    *fakellm.Server
	// traced has the client handler; bare has none.
	traced, bare testpb.TestServiceClient
}

// setup runs the test service on a free port with the server handler
// (serverOpts added), and dials it twice: with the client handler and
// without.
func setup(t *testing.T, serverOpts ...tracium.RequestOption) *testBundle {
	t.Helper()
	b := &testBundle{coll: spantest.NewCollector(t), llm: fakellm.New(t, fakellm.Options{})}
	b.client = b.coll.NewClient(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := append([]tracium.RequestOption{tracium.WithRequestClient(b.client)}, serverOpts...)
	srv := grpc.NewServer(grpc.StatsHandler(traciumgrpc.NewServerHandler(opts...)))
	testpb.RegisterTestServiceServer(srv, &testService{llmURL: b.llm.URL})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	b.traced = testpb.NewTestServiceClient(dial(t, lis.Addr().String(), grpc.WithStatsHandler(traciumgrpc.NewClientHandler())))
	b.bare = testpb.NewTestServiceClient(dial(t, lis.Addr().String()))
	return b
}

func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// checkRPC asserts the RPC attributes of a span.
func checkRPC(t *testing.T, s tracium.SpanData, method string, code codes.Code, reqSize, respSize int) {
	t.Helper()
	want := map[string]any{
		tracium.AttrRPCSystem:         "grpc",
		tracium.AttrRPCService:        "grpc.testing.TestService",
		tracium.AttrRPCMethod:         method,
		tracium.AttrRPCGRPCStatusCode: float64(code),
		"rpc.request.size":            float64(reqSize),
		"rpc.response.size":           float64(respSize),
	}
	for k, v := range want {
		if s.Attributes[k] != v {
			t.Errorf("%s %q: %s = %v (%T), want %v", s.Type, s.Name, k, s.Attributes[k], s.Attributes[k], v)
		}
	}
}

func TestUnaryNestsClientServerHandlerAndLLM(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, run := b.client.AgentTrace(t.Context(), "caller")
	req := &testpb.SimpleRequest{ResponseSize: 300, Payload: &testpb.Payload{Body: []byte(cmdLLM)}}
	resp, err := b.traced.UnaryCall(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	run.End()

	spans := b.coll.Wait(t, b.client, 5)
	client := spantest.One(t, spans, tracium.SpanTool, unary)
	server := spantest.One(t, spans, tracium.SpanHTTP, unary)
	tool := spantest.One(t, spans, tracium.SpanTool, "lookup")
	var llm tracium.SpanData
	for _, s := range spans {
		if s.Type == tracium.SpanLLM {
			llm = s
		}
	}
	for _, s := range spans {
		if s.TraceID != run.TraceID() {
			t.Errorf("span %q in trace %s, want %s", s.Name, s.TraceID, run.TraceID())
		}
	}
	parents := []struct {
		name          string
		child, parent string
	}{
		{"client under the agent", client.ParentSpanID, run.SpanID()},
		{"server under the client", server.ParentSpanID, client.SpanID},
		{"handler's span under the server", tool.ParentSpanID, server.SpanID},
		{"llm under the handler's span", llm.ParentSpanID, tool.SpanID},
	}
	for _, p := range parents {
		if p.child != p.parent {
			t.Errorf("%s: parent %q, want %q", p.name, p.child, p.parent)
		}
	}
	if want := fmt.Sprintf("00-%s-%s-01", run.TraceID(), client.SpanID); resp.GetUsername() != want {
		t.Errorf("server received traceparent %q, want %q", resp.GetUsername(), want)
	}
	if llm.Model != fakellm.OpenAIAnswerModel || llm.Usage == nil || llm.Usage.InputTokens != fakellm.OpenAIPrompt {
		t.Errorf("llm span model %q usage %+v", llm.Model, llm.Usage)
	}
	for _, s := range []tracium.SpanData{client, server} {
		checkRPC(t, s, "UnaryCall", codes.OK, proto.Size(req), proto.Size(resp))
		if s.Status == "error" || s.ErrorType != "" {
			t.Errorf("%s span failed: %s %s", s.Type, s.ErrorType, s.ErrorMessage)
		}
	}
	if server.StartTime.Before(client.StartTime) || server.EndTime.After(client.EndTime.Add(time.Second)) {
		t.Errorf("server span %v..%v outside client span %v..%v", server.StartTime, server.EndTime, client.StartTime, client.EndTime)
	}
}

func TestServerContinuesIncomingTraceparent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	ctx := metadata.AppendToOutgoingContext(t.Context(), "traceparent", "00-"+traceID+"-"+parentID+"-01")
	if _, err := b.bare.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	server := spantest.One(t, b.coll.Wait(t, b.client, 1), tracium.SpanHTTP, unary)
	if server.TraceID != traceID || server.ParentSpanID != parentID {
		t.Errorf("server span trace %s parent %s, want %s %s", server.TraceID, server.ParentSpanID, traceID, parentID)
	}
}

func TestServerIgnoresRepeatedOrMalformedTraceparent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	valid := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, md := range [][]string{
		{"traceparent", valid, "traceparent", valid},
		{"traceparent", "00-zz"},
	} {
		ctx := metadata.AppendToOutgoingContext(t.Context(), md...)
		if _, err := b.bare.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range b.coll.Wait(t, b.client, 2) {
		if s.ParentSpanID != "" || s.TraceID == "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("span continued a bad traceparent: trace %s parent %s", s.TraceID, s.ParentSpanID)
		}
		if s.AgentName != b.client.DefaultAgentName() {
			t.Errorf("new trace's agent %q, want the client's default %q", s.AgentName, b.client.DefaultAgentName())
		}
	}
}

// A call made outside any trace gets no client span and sends no
// traceparent; the server starts its own trace.
func TestClientOutsideTraceRecordsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, err := b.traced.UnaryCall(t.Context(), &testpb.SimpleRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetUsername() != "" {
		t.Errorf("server received traceparent %q, want none", resp.GetUsername())
	}
	server := spantest.One(t, b.coll.Wait(t, b.client, 1), tracium.SpanHTTP, unary)
	if server.ParentSpanID != "" {
		t.Errorf("server span has parent %s", server.ParentSpanID)
	}
}

// A traceparent already in the outgoing metadata (set by hand, or by
// another instrumentation) is replaced, so the server sees one, the
// client span's.
func TestClientReplacesOutgoingTraceparent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, run := b.client.AgentTrace(t.Context(), "caller")
	ctx = metadata.AppendToOutgoingContext(ctx, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "x-other", "kept")
	resp, err := b.traced.UnaryCall(ctx, &testpb.SimpleRequest{})
	if err != nil {
		t.Fatal(err)
	}
	run.End()
	spans := b.coll.Wait(t, b.client, 3)
	client := spantest.One(t, spans, tracium.SpanTool, unary)
	if want := fmt.Sprintf("00-%s-%s-01", run.TraceID(), client.SpanID); resp.GetUsername() != want {
		t.Errorf("server received traceparent %q, want only %q", resp.GetUsername(), want)
	}
	if server := spantest.One(t, spans, tracium.SpanHTTP, unary); server.ParentSpanID != client.SpanID {
		t.Errorf("server parent %s, want %s", server.ParentSpanID, client.SpanID)
	}
}

func TestStatusCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                       string
		req                        *testpb.SimpleRequest
		code                       codes.Code
		serverFailed, clientFailed bool
		message                    string
	}{
		{"ok", &testpb.SimpleRequest{}, codes.OK, false, false, ""},
		{"not found is the caller's", statusReq(codes.NotFound, "no such user"), codes.NotFound, false, true, "NotFound: no such user"},
		{"invalid argument is the caller's", statusReq(codes.InvalidArgument, "bad id"), codes.InvalidArgument, false, true, "InvalidArgument: bad id"},
		{"permission denied is the caller's", statusReq(codes.PermissionDenied, "no"), codes.PermissionDenied, false, true, "PermissionDenied: no"},
		{"internal", statusReq(codes.Internal, "boom"), codes.Internal, true, true, "Internal: boom"},
		{"unavailable", statusReq(codes.Unavailable, "later"), codes.Unavailable, true, true, "Unavailable: later"},
		{"data loss", statusReq(codes.DataLoss, "gone"), codes.DataLoss, true, true, "DataLoss: gone"},
		{"a plain Go error is Unknown", &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(errPlainGo)}}, codes.Unknown, true, true, "Unknown: not a status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			ctx, run := b.client.AgentTrace(t.Context(), "caller")
			_, err := b.traced.UnaryCall(ctx, tt.req)
			run.End()
			if status.Code(err) != tt.code {
				t.Fatalf("call: %v, want code %v", err, tt.code)
			}
			spans := b.coll.Wait(t, b.client, 3)
			for _, side := range []struct {
				span   tracium.SpanData
				failed bool
			}{
				{spantest.One(t, spans, tracium.SpanTool, unary), tt.clientFailed},
				{spantest.One(t, spans, tracium.SpanHTTP, unary), tt.serverFailed},
			} {
				s := side.span
				if got := s.Attributes[tracium.AttrRPCGRPCStatusCode]; got != float64(tt.code) {
					t.Errorf("%s span status code %v, want %d", s.Type, got, tt.code)
				}
				if side.failed {
					if s.Status != "error" || s.ErrorType != "grpc_error" || s.ErrorMessage != tt.message {
						t.Errorf("%s span: status %q error %q %q, want error grpc_error %q", s.Type, s.Status, s.ErrorType, s.ErrorMessage, tt.message)
					}
				} else if s.Status == "error" || s.ErrorType != "" {
					t.Errorf("%s span failed (%s %s), want ok", s.Type, s.ErrorType, s.ErrorMessage)
				}
			}
		})
	}
}

func statusReq(code codes.Code, msg string) *testpb.SimpleRequest {
	return &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(code), Message: msg}}
}

func TestUnimplementedMethodFailsServerSpan(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, run := b.client.AgentTrace(t.Context(), "caller")
	_, err := b.traced.UnimplementedCall(ctx, &testpb.Empty{})
	run.End()
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("call: %v, want Unimplemented", err)
	}
	server := spantest.One(t, b.coll.Wait(t, b.client, 3), tracium.SpanHTTP, "/grpc.testing.TestService/UnimplementedCall")
	if server.Status != "error" || server.Attributes[tracium.AttrRPCGRPCStatusCode] != float64(codes.Unimplemented) {
		t.Errorf("server span status %q code %v", server.Status, server.Attributes[tracium.AttrRPCGRPCStatusCode])
	}
}

// A server stream's spans end when the stream does, after every message,
// and count the bytes of all of them.
func TestServerStreamEndsWithStream(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, run := b.client.AgentTrace(t.Context(), "caller")
	const pause = 30 * time.Millisecond
	req := &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{
		{Size: 10, IntervalUs: int32(pause.Microseconds())}, {Size: 200, IntervalUs: int32(pause.Microseconds())}, {Size: 3000, IntervalUs: int32(pause.Microseconds())},
	}}
	stream, err := b.traced.StreamingOutputCall(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	respSize := 0
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		respSize += proto.Size(resp)
	}
	run.End()
	spans := b.coll.Wait(t, b.client, 3)
	for _, typ := range []tracium.SpanType{tracium.SpanTool, tracium.SpanHTTP} {
		s := spantest.One(t, spans, typ, output)
		checkRPC(t, s, "StreamingOutputCall", codes.OK, proto.Size(req), respSize)
		if d := s.EndTime.Sub(s.StartTime); d < 3*pause {
			t.Errorf("%s span lasted %v, less than the stream's %v", typ, d, 3*pause)
		}
	}
}

// A client that cancels a stream it no longer wants leaves both spans ok,
// with code Canceled, ended when the stream ended.
func TestCancelledStreamIsNotAFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, run := b.client.AgentTrace(t.Context(), "caller")
	callCtx, cancel := context.WithCancel(ctx)
	stream, err := b.traced.StreamingOutputCall(callCtx, &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 1}},
		Payload:            &testpb.Payload{Body: []byte("wait")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Fatalf("after cancel: %v, want Canceled", err)
	}
	run.End()
	spans := b.coll.Wait(t, b.client, 3)
	for _, typ := range []tracium.SpanType{tracium.SpanTool, tracium.SpanHTTP} {
		s := spantest.One(t, spans, typ, output)
		if s.Status == "error" || s.Attributes[tracium.AttrRPCGRPCStatusCode] != float64(codes.Canceled) {
			t.Errorf("%s span status %q code %v, want ok and Canceled", typ, s.Status, s.Attributes[tracium.AttrRPCGRPCStatusCode])
		}
	}
}

func TestStreamErrorAfterMessages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, run := b.client.AgentTrace(t.Context(), "caller")
	stream, err := b.traced.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 5}, {Size: 5}},
		ResponseStatus:     &testpb.EchoStatus{Code: int32(codes.Unavailable), Message: "draining"},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err = stream.Recv(); err != nil {
			break
		}
		n++
	}
	run.End()
	if n != 2 || status.Code(err) != codes.Unavailable {
		t.Fatalf("got %d messages then %v, want 2 then Unavailable", n, err)
	}
	spans := b.coll.Wait(t, b.client, 3)
	for _, typ := range []tracium.SpanType{tracium.SpanTool, tracium.SpanHTTP} {
		if s := spantest.One(t, spans, typ, output); s.Status != "error" || s.ErrorMessage != "Unavailable: draining" {
			t.Errorf("%s span status %q message %q", typ, s.Status, s.ErrorMessage)
		}
	}
}

func TestBidiStream(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, run := b.client.AgentTrace(t.Context(), "caller")
	stream, err := b.traced.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reqSize, respSize := 0, 0
	for _, size := range []int32{7, 70, 700} {
		req := &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: size}}}
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
		reqSize += proto.Size(req)
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		respSize += proto.Size(resp)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("after CloseSend: %v, want EOF", err)
	}
	run.End()
	spans := b.coll.Wait(t, b.client, 3)
	client, server := spantest.One(t, spans, tracium.SpanTool, duplex), spantest.One(t, spans, tracium.SpanHTTP, duplex)
	checkRPC(t, client, "FullDuplexCall", codes.OK, reqSize, respSize)
	checkRPC(t, server, "FullDuplexCall", codes.OK, reqSize, respSize)
	if server.ParentSpanID != client.SpanID {
		t.Errorf("server parent %s, want %s", server.ParentSpanID, client.SpanID)
	}
}

func TestServerOptions(t *testing.T) {
	t.Parallel()
	b := setup(t,
		tracium.WithSkipPaths("/grpc.testing.TestService/EmptyCall"),
		tracium.WithRequestHeaders("x-tenant", "authorization"),
	)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-tenant", "acme", "authorization", "Bearer secret")
	if _, err := b.bare.EmptyCall(ctx, &testpb.Empty{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("EmptyCall: %v", err)
	}
	if _, err := b.bare.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	s := spantest.One(t, b.coll.Wait(t, b.client, 1), tracium.SpanHTTP, unary)
	if s.Attributes[tracium.AttrHTTPRequestHeaderPrefix+"x-tenant"] != "acme" {
		t.Errorf("x-tenant not recorded: %v", s.Attributes)
	}
	if _, ok := s.Attributes[tracium.AttrHTTPRequestHeaderPrefix+"authorization"]; ok {
		t.Errorf("authorization recorded: %v", s.Attributes)
	}
}

// Concurrent RPCs from distinct traces each land in their own trace.
func TestConcurrentRPCsKeepTheirTraces(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 200
	runs := make([]*tracium.AgentTrace, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, run := b.client.AgentTrace(t.Context(), "caller")
			runs[i] = run
			if _, err := b.traced.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
				t.Error(err)
			}
			run.End()
		})
	}
	wg.Wait()
	spans := b.coll.Wait(t, b.client, 3*n)
	byID := make(map[string]tracium.SpanData, len(spans))
	for _, s := range spans {
		byID[s.SpanID] = s
	}
	for _, run := range runs {
		var client, server int
		for _, s := range spans {
			if s.TraceID != run.TraceID() {
				continue
			}
			switch s.Type {
			case tracium.SpanTool:
				client++
				if s.ParentSpanID != run.SpanID() {
					t.Errorf("client span parent %s, want %s", s.ParentSpanID, run.SpanID())
				}
			case tracium.SpanHTTP:
				server++
				if p := byID[s.ParentSpanID]; p.Type != tracium.SpanTool || p.TraceID != run.TraceID() {
					t.Errorf("server span parent %s is %s in trace %s", s.ParentSpanID, p.Type, p.TraceID)
				}
			}
		}
		if client != 1 || server != 1 {
			t.Errorf("trace %s: %d client and %d server spans, want 1 and 1", run.TraceID(), client, server)
		}
	}
}
