// Package traciumgrpc traces gRPC servers and clients with Tracium. The
// one line a server adds:
//
//	srv := grpc.NewServer(grpc.StatsHandler(traciumgrpc.NewServerHandler()))
//
// and a client:
//
//	conn, err := grpc.NewClient(target, grpc.WithStatsHandler(traciumgrpc.NewClientHandler()), ...)
//
// Each RPC a server handles is one span of type http named by its full
// method ("/pkg.Service/Method"). It continues the trace of an incoming
// traceparent (gRPC metadata) or starts one on the default client, and
// the handler's context carries it, so spans and LLM calls made in the
// handler nest under it. Each RPC a client makes inside a trace is one span
// of type tool (the SDK's type for a call out to another service) whose
// traceparent goes out in the request metadata, so the server continues
// the trace; outside any trace the client handler records nothing.
//
// Both record rpc.system, rpc.service, rpc.method, the status code
// (rpc.grpc.status_code) and the uncompressed bytes of every message
// each way (rpc.request.size, rpc.response.size). A streaming RPC's span
// ends when the stream ends. A server span fails on the codes that are the
// server's fault (Unknown, DeadlineExceeded, Unimplemented, Internal,
// Unavailable, DataLoss); a client span on every code but OK and Canceled.
package traciumgrpc
