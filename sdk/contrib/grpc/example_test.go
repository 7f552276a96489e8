package traciumgrpc_test

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	traciumgrpc "github.com/tracium/tracium/sdk/contrib/grpc"
)

// The one line a server adds, and the one a client adds.
func Example() {
	srv := grpc.NewServer(grpc.StatsHandler(traciumgrpc.NewServerHandler()))
	defer srv.Stop()

	conn, err := grpc.NewClient("localhost:50051", grpc.WithStatsHandler(traciumgrpc.NewClientHandler()),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err == nil {
		defer conn.Close()
	}
}
