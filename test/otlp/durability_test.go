package otlp

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tracium/tracium/internal/collectortest"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/store/backend"
	"github.com/tracium/tracium/store/sqlite"
)

// TestPartialSuccess sends, with every emitter, a batch of which one span
// started two years ago, outside the collector's window: the exporter is
// told in partial_success that one span was rejected and why, and the
// others are stored.
func TestPartialSuccess(t *testing.T) {
	t.Parallel()
	c := collectortest.Start(t, collectortest.WithOTLPGRPC())
	for _, em := range emitters {
		t.Run(em.name, func(t *testing.T) {
			t.Parallel()
			r := newRecorder("partial")
			tr := r.tp.Tracer("test")
			ctx, root := tr.Start(context.Background(), "invoke_agent planner", trace.WithAttributes(attribute.String("gen_ai.operation.name", "invoke_agent")))
			_, ok := tr.Start(ctx, "chat gpt-4o-mini", trace.WithAttributes(attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.request.model", "gpt-4o-mini")))
			ok.End()
			old := time.Now().AddDate(-2, 0, 0)
			_, stale := tr.Start(ctx, "execute_tool search", trace.WithTimestamp(old), trace.WithAttributes(attribute.String("gen_ai.operation.name", "execute_tool")))
			stale.End(trace.WithTimestamp(old.Add(time.Second)))
			root.End()

			err := r.export(t.Context(), em.new(t, target{url: c.URL, grpcAddr: c.OTLPGRPCAddr, key: c.APIKey, noRetry: true}))
			if err == nil {
				t.Fatal("no partial success reported")
			}
			msg := err.Error()
			if !strings.Contains(strings.ToLower(msg), "partial success") || !strings.Contains(msg, "1 span") ||
				!strings.Contains(msg, stale.SpanContext().SpanID().String()) || !strings.Contains(msg, "outside the accepted window") {
				t.Errorf("export error %q; want a partial success naming the stale span and its reason", msg)
			}
			d := c.WaitTrace(t, root.SpanContext().TraceID().String(), 2, 20*time.Second)
			time.Sleep(200 * time.Millisecond)
			d = c.WaitTrace(t, root.SpanContext().TraceID().String(), 2, time.Second)
			got := byID(d)
			if len(d.Spans) != 2 || got[root.SpanContext().SpanID().String()].Name == "" || got[ok.SpanContext().SpanID().String()].Name == "" {
				t.Errorf("stored %d spans %v; want the root and the chat call", len(d.Spans), got)
			}
		})
	}
}

// TestKillNineLosesNothing exports traces with three emitters at once to
// a collector process, kills it with SIGKILL right after the last
// acknowledged export, starts another on the same data directory, and
// finds every acknowledged span stored exactly once.
func TestKillNineLosesNothing(t *testing.T) {
	t.Parallel()
	bin := collectortest.BuildServer(t)
	dir := t.TempDir()
	key, _, err := auth.NewKey(0, "test")
	if err != nil {
		t.Fatal(err)
	}
	grpcAddr := collectortest.FreeAddr(t)
	env := []string{"TRACIUM_DATA_DIR=" + dir, "TRACIUM_BOOTSTRAP_API_KEY=" + key, "TRACIUM_OTLP_GRPC_ADDR=" + grpcAddr}
	p := collectortest.StartProcess(t, bin, env...)
	to := target{url: p.URL, grpcAddr: grpcAddr, key: key, noRetry: true}

	const perEmitter, spansPerTrace = 15, 20
	var mu sync.Mutex
	acked := map[string]int{} // trace id -> spans acknowledged
	var wg sync.WaitGroup
	for _, em := range []emitter{emitters[0], emitters[3], emitters[4]} {
		exp := em.new(t, to)
		wg.Go(func() {
			for i := range perEmitter {
				r := newRecorder("kill")
				tr := r.tp.Tracer("test")
				ctx, root := tr.Start(context.Background(), "invoke_agent worker", trace.WithAttributes(attribute.String("gen_ai.operation.name", "invoke_agent")))
				for j := range spansPerTrace - 1 {
					_, s := tr.Start(ctx, fmt.Sprintf("chat %d", j), trace.WithAttributes(
						attribute.String("gen_ai.operation.name", "chat"),
						attribute.String("gen_ai.request.model", "gpt-4o-mini"),
						attribute.String("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"`+strings.Repeat("x", 1000)+`"}]}]`),
						attribute.Int("gen_ai.usage.input_tokens", 100+i),
					))
					s.End()
				}
				root.End()
				if err := r.export(context.Background(), exp); err != nil {
					t.Errorf("%s export %d: %v", em.name, i, err)
					continue
				}
				mu.Lock()
				acked[root.SpanContext().TraceID().String()] = spansPerTrace
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	p.Kill()
	if len(acked) != 3*perEmitter {
		t.Fatalf("%d of %d exports acknowledged before the kill", len(acked), 3*perEmitter)
	}

	collectortest.StartProcess(t, bin, env...)
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, backend.SQLiteFile), SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pr, err := st.GetProjectByName(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for id, want := range acked {
		for {
			d, err := st.GetTrace(context.Background(), pr.ID, id)
			if err == nil && d.Trace.SpanCount == int64(want) && len(d.Spans) == want {
				break
			}
			if err == nil && d.Trace.SpanCount > int64(want) {
				t.Fatalf("trace %s counts %d spans, more than the %d sent", id, d.Trace.SpanCount, want)
			}
			if time.Now().After(deadline) {
				t.Fatalf("trace %s: %d of %d spans after restart (%v)", id, d.Trace.SpanCount, want, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestSIGTERMStopsGracefully keeps exporting over OTLP/gRPC and OTLP/HTTP
// while the collector process is told to stop (SIGTERM): it exits
// cleanly, each export either was acknowledged or failed with an error
// the exporter may retry, and after a restart every acknowledged span is
// stored.
func TestSIGTERMStopsGracefully(t *testing.T) {
	t.Parallel()
	bin := collectortest.BuildServer(t)
	dir := t.TempDir()
	key, _, err := auth.NewKey(0, "test")
	if err != nil {
		t.Fatal(err)
	}
	grpcAddr := collectortest.FreeAddr(t)
	env := []string{"TRACIUM_DATA_DIR=" + dir, "TRACIUM_BOOTSTRAP_API_KEY=" + key, "TRACIUM_OTLP_GRPC_ADDR=" + grpcAddr}
	p := collectortest.StartProcess(t, bin, env...)
	to := target{url: p.URL, grpcAddr: grpcAddr, key: key, noRetry: true}

	var mu sync.Mutex
	acked := map[string]int{}
	var sent sync.WaitGroup
	firstAcks := make(chan struct{}, 2)
	for _, em := range []emitter{emitters[0], emitters[4]} {
		exp := em.new(t, to)
		sent.Go(func() {
			for i := 0; ; i++ {
				r := newRecorder("sigterm")
				tr := r.tp.Tracer("test")
				ctx, root := tr.Start(context.Background(), "invoke_agent worker", trace.WithAttributes(attribute.String("gen_ai.operation.name", "invoke_agent")))
				for j := range 9 {
					_, s := tr.Start(ctx, fmt.Sprintf("chat %d", j), trace.WithAttributes(attribute.String("gen_ai.operation.name", "chat")))
					s.End()
				}
				root.End()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := r.export(ctx, exp)
				cancel()
				if err != nil { // the collector has stopped
					grpc := strings.HasPrefix(em.name, "grpc")
					if grpc && status.Code(errors.Unwrap(err)) != codes.Unavailable && status.Code(err) != codes.Unavailable ||
						!grpc && strings.Contains(err.Error(), "failed to send") {
						t.Errorf("%s: an export during the stop failed with %v; want an error exporters retry", em.name, err)
					}
					return
				}
				mu.Lock()
				acked[root.SpanContext().TraceID().String()] = 10
				mu.Unlock()
				if i == 5 {
					firstAcks <- struct{}{}
				}
			}
		})
	}
	<-firstAcks
	<-firstAcks
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Cmd.Wait(); err != nil {
		t.Errorf("the collector did not exit cleanly on SIGTERM: %v", err)
	}
	sent.Wait()

	collectortest.StartProcess(t, bin, env...)
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, backend.SQLiteFile), SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pr, err := st.GetProjectByName(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for id, want := range acked {
		for {
			d, err := st.GetTrace(context.Background(), pr.ID, id)
			if err == nil && len(d.Spans) == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("trace %s: %d of %d spans after restart (%v)", id, len(d.Spans), want, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("%d exports acknowledged before and during the stop", len(acked))
}
