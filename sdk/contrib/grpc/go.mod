module github.com/tracium/tracium/sdk/contrib/grpc

go 1.26.8

replace github.com/tracium/tracium/sdk => ../..

require (
	github.com/tracium/tracium/sdk v0.0.0
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261005182115-fad411399dd8 // indirect
)
