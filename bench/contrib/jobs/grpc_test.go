package jobsbench

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/test/bufconn"

	tracium "github.com/tracium/tracium/sdk"
	traciumgrpc "github.com/tracium/tracium/sdk/contrib/grpc"
)

type echoService struct {
	testpb.UnimplementedTestServiceServer
}

func (echoService) UnaryCall(_ context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{Payload: req.GetPayload()}, nil
}

func (echoService) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream grpc.ServerStreamingServer[testpb.StreamingOutputCallResponse]) error {
	for range req.GetResponseParameters() {
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: req.GetPayload()}); err != nil {
			return err
		}
	}
	return nil
}

// grpcHandlers returns the set-up's server and client stats handlers;
// for bare, handlers that do nothing.
func grpcHandlers(t tracer) (server, client stats.Handler) {
	switch t.name {
	case "tracium":
		return traciumgrpc.NewServerHandler(tracium.WithRequestClient(t.tracium)), traciumgrpc.NewClientHandler()
	case "otel", "otel-otlp":
		return otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(t.otel), otelgrpc.WithPropagators(propagator)),
			otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(t.otel), otelgrpc.WithPropagators(propagator))
	}
	return noopHandler{}, noopHandler{}
}

// noopHandler stands for the bare library in BenchmarkGRPCHandlers: the
// events are made (as grpc makes them) and go nowhere.
type noopHandler struct{}

func (noopHandler) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (noopHandler) HandleRPC(context.Context, stats.RPCStats)                         {}
func (noopHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (noopHandler) HandleConn(context.Context, stats.ConnStats)                       {}

// serve runs the service in memory (bufconn), with the set-up's handlers
// unless it is bare, and returns a client.
func serve(b *testing.B, t tracer) testpb.TestServiceClient {
	b.Helper()
	lis := bufconn.Listen(1 << 20)
	var sopts []grpc.ServerOption
	copts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
	}
	if t.name != "bare" {
		server, client := grpcHandlers(t)
		sopts = append(sopts, grpc.StatsHandler(server))
		copts = append(copts, grpc.WithStatsHandler(client))
	}
	srv := grpc.NewServer(sopts...)
	testpb.RegisterTestServiceServer(srv, echoService{})
	go func() { _ = srv.Serve(lis) }()
	b.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet", copts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return testpb.NewTestServiceClient(conn)
}

// BenchmarkGRPCUnary is one unary RPC in memory with the client and
// server handlers both installed; the added cost is a line minus bare.
func BenchmarkGRPCUnary(b *testing.B) {
	req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, 512)}}
	for _, name := range setups {
		b.Run(name, func(b *testing.B) {
			t := newTracer(b, name)
			c := serve(b, t)
			measure(b, t, func() {
				if _, err := c.UnaryCall(t.ctx, req); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkGRPCServerStream is one server-streaming RPC of ten messages.
func BenchmarkGRPCServerStream(b *testing.B) {
	req := &testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: make([]byte, 512)}, ResponseParameters: make([]*testpb.ResponseParameters, 10)}
	for i := range req.ResponseParameters {
		req.ResponseParameters[i] = &testpb.ResponseParameters{}
	}
	for _, name := range setups {
		b.Run(name, func(b *testing.B) {
			t := newTracer(b, name)
			c := serve(b, t)
			measure(b, t, func() {
				stream, err := c.StreamingOutputCall(t.ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := stream.Recv(); errors.Is(err, io.EOF) {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkGRPCHandlers drives the client and server handlers through the
// events grpc gives them for one unary RPC, without grpc itself: the
// handlers' own cost, free of the transport's.
func BenchmarkGRPCHandlers(b *testing.B) {
	const method = "/grpc.testing.TestService/UnaryCall"
	md := metadata.Pairs("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "content-type", "application/grpc", "user-agent", "grpc-go/1.85.0")
	serverBase := metadata.NewIncomingContext(context.Background(), md)
	for _, name := range setups {
		b.Run(name, func(b *testing.B) {
			t := newTracer(b, name)
			server, client := grpcHandlers(t)
			measure(b, t, func() {
				ctx := client.TagRPC(t.ctx, &stats.RPCTagInfo{FullMethodName: method})
				client.HandleRPC(ctx, &stats.Begin{Client: true})
				client.HandleRPC(ctx, &stats.OutHeader{Client: true, FullMethod: method})
				client.HandleRPC(ctx, &stats.OutPayload{Client: true, Length: 517})

				sctx := server.TagRPC(serverBase, &stats.RPCTagInfo{FullMethodName: method})
				server.HandleRPC(sctx, &stats.InHeader{FullMethod: method, Header: md})
				server.HandleRPC(sctx, &stats.Begin{})
				server.HandleRPC(sctx, &stats.InPayload{Length: 517})
				server.HandleRPC(sctx, &stats.OutHeader{})
				server.HandleRPC(sctx, &stats.OutPayload{Length: 517})
				server.HandleRPC(sctx, &stats.OutTrailer{})
				server.HandleRPC(sctx, &stats.End{})

				client.HandleRPC(ctx, &stats.InHeader{Client: true})
				client.HandleRPC(ctx, &stats.InPayload{Client: true, Length: 517})
				client.HandleRPC(ctx, &stats.InTrailer{Client: true})
				client.HandleRPC(ctx, &stats.End{Client: true})
			})
		})
	}
}
