package otlp

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tracium/tracium/internal/collectortest"
	"github.com/tracium/tracium/server"
)

// captured is one request an exporter sent, as it sent it.
type captured struct {
	contentType string
	body        []byte
}

// capture runs the real exporter against a local server that keeps what
// it receives: the bytes a test replays to the collector with other
// headers, or cut short.
func capture(t *testing.T, opts ...otlptracehttp.Option) captured {
	t.Helper()
	var mu sync.Mutex
	var got captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = captured{r.Header.Get("Content-Type"), raw}
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	rec := newRecorder("capture")
	_, span := rec.tp.Tracer("test").Start(t.Context(), "chat gpt-4o-mini")
	span.SetAttributes(attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.request.model", "gpt-4o-mini"))
	span.End()
	exp := newHTTPExporter(t, target{url: srv.URL, noRetry: true}, opts...)
	if err := rec.export(t.Context(), exp); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got.body) == 0 {
		t.Fatal("the exporter sent nothing")
	}
	return got
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func postRaw(t *testing.T, url, key, contentType string, body []byte, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/v1/traces", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, raw}
}

// rpcStatus decodes an error answer's google.rpc.Status in the encoding
// its Content-Type names.
func rpcStatus(t *testing.T, a answer) *spb.Status {
	t.Helper()
	var st spb.Status
	var err error
	switch ct := a.header.Get("Content-Type"); ct {
	case "application/x-protobuf":
		err = proto.Unmarshal(a.body, &st)
	case "application/json":
		err = protojson.Unmarshal(a.body, &st)
	default:
		t.Fatalf("error answer with Content-Type %q: %s", ct, a.body)
	}
	if err != nil {
		t.Fatalf("the error body is not a google.rpc.Status: %v: %q", err, a.body)
	}
	return &st
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestHTTPAnswers replays what the real exporters send, in protobuf and in
// JSON, with the headers and bodies of each answer the OTLP/HTTP
// specification describes: each answer is in the request's encoding, an
// error's body a google.rpc.Status.
func TestHTTPAnswers(t *testing.T) {
	t.Parallel()
	c := collectortest.Start(t, func(cfg *server.Config) { cfg.MaxBodyBytes = 64 << 10 })
	for _, enc := range []struct {
		name string
		opts []otlptracehttp.Option
	}{
		{"protobuf", nil},
		{"json", []otlptracehttp.Option{otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON)}},
	} {
		t.Run(enc.name, func(t *testing.T) {
			t.Parallel()
			sent := capture(t, enc.opts...)
			ok := postRaw(t, c.URL, c.APIKey, sent.contentType, sent.body)
			if ok.status != 200 || ok.header.Get("Content-Type") != sent.contentType {
				t.Fatalf("status %d, Content-Type %q: %s; want 200 in %s", ok.status, ok.header.Get("Content-Type"), ok.body, sent.contentType)
			}
			resp := ptraceotlp.NewExportResponse()
			if sent.contentType == "application/json" {
				if err := resp.UnmarshalJSON(ok.body); err != nil {
					t.Fatalf("200 body %q: %v", ok.body, err)
				}
			} else if err := resp.UnmarshalProto(ok.body); err != nil {
				t.Fatalf("200 body %q: %v", ok.body, err)
			}
			if ps := resp.PartialSuccess(); ps.RejectedSpans() != 0 || ps.ErrorMessage() != "" {
				t.Errorf("a valid export answered with partial success %d %q", ps.RejectedSpans(), ps.ErrorMessage())
			}
			if z := postRaw(t, c.URL, c.APIKey, sent.contentType, gzipped(sent.body), "Content-Encoding", "gzip"); z.status != 200 {
				t.Errorf("gzip: status %d %s", z.status, z.body)
			}

			big := bytes.Repeat([]byte{' '}, 70<<10)
			for _, tc := range []struct {
				name        string
				key         string
				contentType string
				body        []byte
				headers     []string
				status      int
				message     string
			}{
				{"no key", "", sent.contentType, sent.body, nil, 401, "missing API key"},
				{"unknown key", "sk_live_" + strings.Repeat("x", 40), sent.contentType, sent.body, nil, 401, "invalid or revoked"},
				{"cut short", c.APIKey, sent.contentType, sent.body[:len(sent.body)*2/3], nil, 400, "not an OTLP"},
				{"bad gzip", c.APIKey, sent.contentType, sent.body, []string{"Content-Encoding", "gzip"}, 400, "gzip"},
				{"over the size limit", c.APIKey, sent.contentType, append(append([]byte{}, sent.body...), big...), nil, 413, "exceeds"},
				{"gzip bomb", c.APIKey, sent.contentType, gzipped(bytes.Repeat([]byte{0}, 1<<20)), []string{"Content-Encoding", "gzip"}, 413, "after decompression"},
			} {
				a := postRaw(t, c.URL, tc.key, tc.contentType, tc.body, tc.headers...)
				if a.status != tc.status {
					t.Errorf("%s: status %d %q, want %d", tc.name, a.status, a.body, tc.status)
					continue
				}
				if a.header.Get("Content-Type") != sent.contentType {
					t.Errorf("%s: answered in %q, want the request's %s", tc.name, a.header.Get("Content-Type"), sent.contentType)
				}
				if st := rpcStatus(t, a); !strings.Contains(st.GetMessage(), tc.message) {
					t.Errorf("%s: Status message %q, want it to say %q", tc.name, st.GetMessage(), tc.message)
				}
				if tc.status == 401 && a.header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
				}
			}
		})
	}
	t.Run("other content type", func(t *testing.T) {
		t.Parallel()
		a := postRaw(t, c.URL, c.APIKey, "text/plain", []byte("hello"))
		if a.status != http.StatusUnsupportedMediaType {
			t.Fatalf("status %d %s, want 415", a.status, a.body)
		}
		if st := rpcStatus(t, a); !strings.Contains(st.GetMessage(), "application/x-protobuf") {
			t.Errorf("415 message %q does not name the content types", st.GetMessage())
		}
	})
}

// TestExporterErrors: each real exporter sees the collector's refusals as
// the errors OTLP gives them, and none is retried.
func TestExporterErrors(t *testing.T) {
	t.Parallel()
	c := collectortest.Start(t, collectortest.WithOTLPGRPC(), func(cfg *server.Config) { cfg.MaxBodyBytes = 64 << 10 })
	for _, em := range emitters {
		t.Run(em.name, func(t *testing.T) {
			t.Parallel()
			small := newRecorder("errors")
			_, s := small.tp.Tracer("test").Start(t.Context(), "step")
			s.End()
			large := newRecorder("errors")
			_, s = large.tp.Tracer("test").Start(t.Context(), "step")
			s.SetAttributes(attribute.String("input.value", strings.Repeat("a", 100<<10)))
			s.End()

			grpc := strings.HasPrefix(em.name, "grpc")
			for _, tc := range []struct {
				name     string
				key      string
				spans    *recorder
				httpCode string
				grpcCode codes.Code
			}{
				{"unknown key", "sk_live_" + strings.Repeat("y", 40), small, "401", codes.Unauthenticated},
				{"too large", c.APIKey, large, "413", codes.ResourceExhausted},
			} {
				exp := em.new(t, target{url: c.URL, grpcAddr: c.OTLPGRPCAddr, key: tc.key, noRetry: true})
				start := time.Now()
				err := tc.spans.export(t.Context(), exp)
				switch {
				case err == nil:
					t.Errorf("%s: exported without error", tc.name)
				case grpc && status.Code(errors.Unwrap(err)) != tc.grpcCode && status.Code(err) != tc.grpcCode:
					t.Errorf("%s: %v; want %s", tc.name, err, tc.grpcCode)
				case !grpc && !strings.Contains(err.Error(), tc.httpCode):
					t.Errorf("%s: %v; want status %s", tc.name, err, tc.httpCode)
				}
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("%s: the exporter took %v; a permanent refusal is not retried", tc.name, d)
				}
			}
		})
	}
}

// TestRetryAfter: past the key's rate, OTLP/HTTP answers 429 with
// Retry-After and OTLP/gRPC ResourceExhausted with RetryInfo, which
// exporters honour; a real exporter's exports all land once it has
// waited.
func TestRetryAfter(t *testing.T) {
	t.Parallel()
	c := collectortest.Start(t, collectortest.WithOTLPGRPC(), func(cfg *server.Config) { cfg.RateLimit = 1 })
	sent := capture(t)
	var limited *answer
	for range 4 {
		if a := postRaw(t, c.URL, c.APIKey, sent.contentType, sent.body); a.status == http.StatusTooManyRequests {
			limited = &a
			break
		}
	}
	if limited == nil {
		t.Fatal("no 429 past the rate")
	}
	if limited.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	rpcStatus(t, *limited)

	conn, err := grpc.NewClient(c.OTLPGRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+c.APIKey)
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(mustProto(t, sent)); err != nil {
		t.Fatal(err)
	}
	var st *status.Status
	for range 4 {
		if _, err := client.Export(ctx, req); status.Code(err) == codes.ResourceExhausted {
			st = status.Convert(err)
			break
		}
	}
	if st == nil {
		t.Fatal("no ResourceExhausted past the rate")
	}
	var delay time.Duration
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			delay = ri.GetRetryDelay().AsDuration()
		}
	}
	if delay <= 0 {
		t.Errorf("ResourceExhausted without RetryInfo: %v", st.Details())
	}

	// The exporters retry on their own: every export lands.
	for _, em := range []emitter{emitters[0], emitters[4]} {
		exp := em.new(t, target{url: c.URL, grpcAddr: c.OTLPGRPCAddr, key: c.APIKey})
		for i := range 3 {
			r := newRecorder("retry")
			_, s := r.tp.Tracer("test").Start(t.Context(), "step")
			s.End()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			if err := r.export(ctx, exp); err != nil {
				t.Errorf("%s export %d: %v", em.name, i, err)
			}
			cancel()
		}
	}
}

// mustProto is the protobuf of a captured export.
func mustProto(t *testing.T, c captured) []byte {
	t.Helper()
	if c.contentType == "application/x-protobuf" {
		return c.body
	}
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalJSON(c.body); err != nil {
		t.Fatal(err)
	}
	raw, err := req.MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestQueueUnavailable stops the collector's external NATS: OTLP/HTTP
// answers 503 with Retry-After and OTLP/gRPC Unavailable with RetryInfo,
// both saying nothing was stored, which exporters retry.
func TestQueueUnavailable(t *testing.T) {
	t.Parallel()
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		MaxPayload: 8 << 20, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(ns.Shutdown)
	c := collectortest.Start(t, collectortest.WithOTLPGRPC(), func(cfg *server.Config) { cfg.NATSURL = ns.ClientURL() })
	sent := capture(t)
	if a := postRaw(t, c.URL, c.APIKey, sent.contentType, sent.body); a.status != 200 {
		t.Fatalf("with NATS up: status %d %s", a.status, a.body)
	}
	ns.Shutdown()
	ns.WaitForShutdown()

	a := postRaw(t, c.URL, c.APIKey, sent.contentType, sent.body)
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
		t.Errorf("with NATS down: status %d, Retry-After %q; want 503 with Retry-After", a.status, a.header.Get("Retry-After"))
	}
	if st := rpcStatus(t, a); !strings.Contains(st.GetMessage(), "nothing was stored") {
		t.Errorf("503 message %q", st.GetMessage())
	}

	conn, err := grpc.NewClient(c.OTLPGRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(sent.body); err != nil {
		t.Fatal(err)
	}
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+c.APIKey)
	_, err = ptraceotlp.NewGRPCClient(conn).Export(ctx, req)
	st := status.Convert(err)
	retry := false
	for _, d := range st.Details() {
		_, ok := d.(*errdetails.RetryInfo)
		retry = retry || ok
	}
	if st.Code() != codes.Unavailable || !retry {
		t.Errorf("gRPC with NATS down: %v (details %v); want Unavailable with RetryInfo", err, st.Details())
	}
}
