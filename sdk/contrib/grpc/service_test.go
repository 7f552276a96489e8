package traciumgrpc_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	tracium "github.com/tracium/tracium/sdk"
)

// Commands of the test service, sent as the request payload's body.
const (
	cmdLLM     = "llm"     // start a tool span and make an LLM call under it
	cmdPlain   = "plain"   // answer, nothing else
	errPlainGo = "plainGo" // return an error that is not a gRPC status
)

// testService is grpc's interop TestService, answering as the tests need:
// UnaryCall reports the traceparent values it received in Username and
// fails with the requested status; the streaming calls send the requested
// responses, pausing between them.
type testService struct {
	testpb.UnimplementedTestServiceServer
	llmURL string
}

func (s *testService) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if st := req.GetResponseStatus(); st.GetCode() != 0 {
		return nil, status.Error(codes.Code(st.GetCode()), st.GetMessage())
	}
	switch string(req.GetPayload().GetBody()) {
	case cmdLLM:
		if err := callLLM(ctx, s.llmURL); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
	case errPlainGo:
		return nil, errors.New("not a status")
	}
	return &testpb.SimpleResponse{
		Payload:  &testpb.Payload{Body: make([]byte, req.GetResponseSize())},
		Username: strings.Join(metadata.ValueFromIncomingContext(ctx, tracium.TraceparentHeader), ","),
	}, nil
}

func (s *testService) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream grpc.ServerStreamingServer[testpb.StreamingOutputCallResponse]) error {
	for _, p := range req.GetResponseParameters() {
		time.Sleep(time.Duration(p.GetIntervalUs()) * time.Microsecond)
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: make([]byte, p.GetSize())}}); err != nil {
			return err
		}
	}
	if st := req.GetResponseStatus(); st.GetCode() != 0 {
		return status.Error(codes.Code(st.GetCode()), st.GetMessage())
	}
	if string(req.GetPayload().GetBody()) == "wait" {
		<-stream.Context().Done()
		return stream.Context().Err()
	}
	return nil
}

func (s *testService) FullDuplexCall(stream grpc.BidiStreamingServer[testpb.StreamingOutputCallRequest, testpb.StreamingOutputCallResponse]) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, p := range req.GetResponseParameters() {
			if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: make([]byte, p.GetSize())}}); err != nil {
				return err
			}
		}
	}
}

// callLLM starts a tool span and makes one OpenAI chat completion under it
// through the SDK's transport.
func callLLM(ctx context.Context, baseURL string) error {
	ctx, span := tracium.StartSpan(ctx, tracium.SpanTool, "lookup")
	defer span.End()
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-test")
	resp, err := tracium.HTTPClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
