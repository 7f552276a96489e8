package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/tracium/tracium/internal/otlptest"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/storetest"
)

// protocol is one way of sending a batch of spans to the collector.
type protocol struct {
	name string
	// prepare encodes one batch, before the clock starts, and returns
	// what sends it.
	prepare func(b *testing.B, spans []store.Span) func(context.Context) error
}

// BenchmarkIngestProtocols sends the same spans (1 KB of payload each, in
// batches of 100, 8 senders) to one tracium-server process on PostgreSQL
// over each ingest protocol in turn: /v1/ingest's JSON, OTLP/HTTP in
// protobuf and in JSON, and OTLP/gRPC. For each it reports the rate from
// the first request sent to the last span committed, and the collector
// process's CPU time per span (ingest and writer together; the writer's
// share is the same for every protocol).
func BenchmarkIngestProtocols(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	grpcAddr := ln.Addr().String()
	ln.Close()
	_, key, srv, _ := setupServer(b, "TRACIUM_OTLP_GRPC_ADDR="+grpcAddr)
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	grpcClient := ptraceotlp.NewGRPCClient(conn)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	post := func(path, contentType string, body []byte) func(context.Context) error {
		return func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, "POST", srv.url+path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", contentType)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		}
	}
	protocols := []protocol{
		{"ingest-json", func(b *testing.B, spans []store.Span) func(context.Context) error {
			raw, err := json.Marshal(map[string]any{"spans": spans})
			if err != nil {
				b.Fatal(err)
			}
			return post("/v1/ingest", "application/json", raw)
		}},
		{"otlp-protobuf", func(b *testing.B, spans []store.Span) func(context.Context) error {
			raw, err := ptraceotlp.NewExportRequestFromTraces(otlptest.FromSpans(b, spans)).MarshalProto()
			if err != nil {
				b.Fatal(err)
			}
			return post("/v1/traces", "application/x-protobuf", raw)
		}},
		{"otlp-json", func(b *testing.B, spans []store.Span) func(context.Context) error {
			raw, err := ptraceotlp.NewExportRequestFromTraces(otlptest.FromSpans(b, spans)).MarshalJSON()
			if err != nil {
				b.Fatal(err)
			}
			return post("/v1/traces", "application/json", raw)
		}},
		{"otlp-grpc", func(b *testing.B, spans []store.Span) func(context.Context) error {
			req := ptraceotlp.NewExportRequestFromTraces(otlptest.FromSpans(b, spans))
			return func(ctx context.Context) error {
				_, err := grpcClient.Export(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key), req)
				return err
			}
		}},
	}

	const spansPerProtocol = 30_000
	f := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 1 << 10, Start: time.Now().Add(-time.Hour), Spacing: time.Millisecond}
	next, written := 0, 0.0
	elapsed := make([]time.Duration, len(protocols))
	cpu := make([]float64, len(protocols))
	run := func(p protocol, spans int) (time.Duration, float64) {
		var sends []func(context.Context) error
		for _, batch := range batches(makeTraces(f, &next, spans)) {
			sends = append(sends, p.prepare(b, batch))
		}
		cpu0, t0 := srv.cpuSeconds(b), time.Now()
		sendAllOf(b, p.name, sends)
		written += float64(spans)
		srv.waitWritten(b, written)
		return time.Since(t0), srv.cpuSeconds(b) - cpu0
	}
	for _, p := range protocols { // warm the server, its connections and PostgreSQL up
		run(p, 2_000)
	}
	round := 0
	for b.Loop() {
		// Each round starts with the next protocol, so that none always
		// runs first or last.
		for k := range protocols {
			i := (round + k) % len(protocols)
			d, c := run(protocols[i], spansPerProtocol)
			elapsed[i] += d
			cpu[i] += c
		}
		round++
	}
	n := float64(b.N * spansPerProtocol)
	for i, p := range protocols {
		b.ReportMetric(n/elapsed[i].Seconds(), p.name+"-spans/s")
		b.ReportMetric(cpu[i]/n*1e6, p.name+"-cpu-µs/span")
	}
}

// batches cuts traces into batches of batchSize spans.
func batches(traces [][]store.Span) [][]store.Span {
	var all []store.Span
	for _, tr := range traces {
		all = append(all, tr...)
	}
	var out [][]store.Span
	for lo := 0; lo < len(all); lo += batchSize {
		out = append(out, all[lo:min(lo+batchSize, len(all))])
	}
	return out
}

// sendAllOf runs every send with concurrency senders, retrying a refused
// one as an exporter would.
func sendAllOf(b *testing.B, name string, sends []func(context.Context) error) {
	var i atomic.Int64
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				k := int(i.Add(1)) - 1
				if k >= len(sends) {
					return
				}
				for attempt := 0; ; attempt++ {
					err := sends[k](context.Background())
					if err == nil {
						break
					}
					if attempt > 20 {
						b.Errorf("%s batch %d not accepted: %v", name, k, err)
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
}
