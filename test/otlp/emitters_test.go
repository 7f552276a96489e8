package otlp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// target is where an emitter sends: a collector's HTTP base URL, its
// OTLP/gRPC address and the key it sends.
type target struct {
	url, grpcAddr, key string
	// noRetry turns the exporters' own retries off, for tests of answers
	// that would otherwise be retried until the test's deadline.
	noRetry bool
}

// emitter is one real OTLP exporter.
type emitter struct {
	name string
	new  func(t *testing.T, to target) sdktrace.SpanExporter
}

// emitters are the exporters every OTLP test sends with: the
// OpenTelemetry Go SDK's own (OTLP/HTTP in protobuf and in JSON, gzipped
// or not, and OTLP/gRPC), and the SDK's spans sent as OTLP JSON through
// pdata, the bytes the JavaScript and Python http/json exporters send.
var emitters = []emitter{
	{"http-protobuf", func(t *testing.T, to target) sdktrace.SpanExporter {
		return newHTTPExporter(t, to)
	}},
	{"http-protobuf-gzip", func(t *testing.T, to target) sdktrace.SpanExporter {
		return newHTTPExporter(t, to, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
	}},
	{"http-json-go", func(t *testing.T, to target) sdktrace.SpanExporter {
		return newHTTPExporter(t, to, otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON))
	}},
	{"http-json-pdata", func(t *testing.T, to target) sdktrace.SpanExporter {
		return newExporter(t, &jsonClient{url: to.url + "/v1/traces", key: to.key})
	}},
	{"grpc", func(t *testing.T, to target) sdktrace.SpanExporter {
		return newGRPCExporter(t, to)
	}},
	{"grpc-gzip", func(t *testing.T, to target) sdktrace.SpanExporter {
		return newGRPCExporter(t, to, otlptracegrpc.WithCompressor("gzip"))
	}},
}

func newHTTPExporter(t *testing.T, to target, opts ...otlptracehttp.Option) sdktrace.SpanExporter {
	t.Helper()
	opts = append([]otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(to.url + "/v1/traces"),
		otlptracehttp.WithHeaders(map[string]string{"Authorization": "Bearer " + to.key}),
		otlptracehttp.WithTimeout(20 * time.Second),
	}, opts...)
	if to.noRetry {
		opts = append(opts, otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	}
	return newExporter(t, otlptracehttp.NewClient(opts...))
}

func newGRPCExporter(t *testing.T, to target, opts ...otlptracegrpc.Option) sdktrace.SpanExporter {
	t.Helper()
	if to.grpcAddr == "" {
		t.Fatal("the collector serves no OTLP/gRPC")
	}
	opts = append([]otlptracegrpc.Option{
		otlptracegrpc.WithEndpoint(to.grpcAddr),
		otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithHeaders(map[string]string{"authorization": "Bearer " + to.key}),
		otlptracegrpc.WithTimeout(20 * time.Second),
	}, opts...)
	if to.noRetry {
		opts = append(opts, otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	}
	return newExporter(t, otlptracegrpc.NewClient(opts...))
}

func newExporter(t *testing.T, c otlptrace.Client) sdktrace.SpanExporter {
	t.Helper()
	exp, err := otlptrace.New(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return exp
}

// jsonClient is an otlptrace.Client that sends the OpenTelemetry SDK's
// spans as OTLP JSON, encoded by pdata (hex ids, integer enums), and reads
// the answer as OTLP/HTTP says: an ExportTraceServiceResponse on 200, a
// google.rpc.Status otherwise.
type jsonClient struct {
	url, key string
}

func (c *jsonClient) Start(context.Context) error { return nil }
func (c *jsonClient) Stop(context.Context) error  { return nil }

func (c *jsonClient) UploadTraces(ctx context.Context, protoSpans []*tracepb.ResourceSpans) error {
	body, err := otlpJSON(protoSpans)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d, Content-Type %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("a JSON request answered in %q", ct)
	}
	out := ptraceotlp.NewExportResponse()
	if err := out.UnmarshalJSON(raw); err != nil {
		return fmt.Errorf("read the export response %s: %w", raw, err)
	}
	if ps := out.PartialSuccess(); ps.RejectedSpans() != 0 || ps.ErrorMessage() != "" {
		return fmt.Errorf("OTLP partial success: %s (%d spans rejected)", ps.ErrorMessage(), ps.RejectedSpans())
	}
	return nil
}

// otlpJSON encodes spans as the OTLP JSON of an ExportTraceServiceRequest.
func otlpJSON(protoSpans []*tracepb.ResourceSpans) ([]byte, error) {
	raw, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: protoSpans})
	if err != nil {
		return nil, err
	}
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(raw); err != nil {
		return nil, err
	}
	return req.MarshalJSON()
}

// recorder makes spans with the OpenTelemetry SDK and keeps them, ended,
// for an exporter to send.
type recorder struct {
	rec *tracetest.SpanRecorder
	tp  *sdktrace.TracerProvider
}

func newRecorder(service string) *recorder {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
	return &recorder{rec: rec, tp: tp}
}

// export sends what the recorder ended with exp.
func (r *recorder) export(ctx context.Context, exp sdktrace.SpanExporter) error {
	return exp.ExportSpans(ctx, r.rec.Ended())
}
