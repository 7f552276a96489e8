package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/tracium/tracium/internal/collectortest"
	tracium "github.com/tracium/tracium/sdk"
	traciumotel "github.com/tracium/tracium/sdk/contrib/otel"
	"github.com/tracium/tracium/store"
)

// bundle is one test's collector, default client and global provider.
type bundle struct {
	c      *collectortest.Collector
	client *tracium.Client
	// rec sees every span the provider ends, those the bridge drops too.
	rec *tracetest.SpanRecorder
}

// setup starts the collector, makes a client of it the default (as a
// program's tracium.Init) and sets the global TracerProvider to the
// bridge's, as the README's two lines do. Tests that call it are not
// parallel: both are process-wide.
func setup(t *testing.T) *bundle {
	t.Helper()
	b := &bundle{c: collectortest.Start(t), rec: tracetest.NewSpanRecorder()}
	b.client = tracium.Init(tracium.WithAPIKey(b.c.APIKey), tracium.WithEndpoint(b.c.URL), tracium.WithFlushInterval(20*time.Millisecond))
	tp := traciumotel.NewTracerProvider(sdktrace.WithSpanProcessor(b.rec))
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.client.Shutdown(ctx)
		_ = tp.Shutdown(ctx)
		otel.SetTracerProvider(noop.NewTracerProvider())
		tracium.Init(tracium.WithErrorHandler(func(error) {}))
	})
	return b
}

// flush sends both libraries' spans and waits for the collector's answer.
func (b *bundle) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.client.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// recorded returns the one span the provider ended under name, waiting a
// moment for a server span that ends after its response was written.
func (b *bundle) recorded(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		found = found[:0]
		for _, s := range b.rec.Ended() {
			if s.Name() == name {
				found = append(found, s)
			}
		}
		if len(found) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d OpenTelemetry spans named %q, want 1", len(found), name)
	}
	return found[0]
}

// byName indexes a stored trace by span name; names must be unique.
func byName(t *testing.T, spans []store.Span) map[string]store.Span {
	t.Helper()
	m := map[string]store.Span{}
	for _, s := range spans {
		if _, dup := m[s.Name]; dup {
			t.Fatalf("two spans named %q:\n%s", s.Name, describe(spans))
		}
		m[s.Name] = s
	}
	return m
}

func describe(spans []store.Span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "  %s %s %q parent %s model %q usage %+v\n", s.SpanID, s.Type, s.Name, s.ParentSpanID, s.Model, s.Usage)
	}
	return b.String()
}

// want checks a stored span's type and parent.
func want(t *testing.T, spans map[string]store.Span, name string, typ store.SpanType, parent string) store.Span {
	t.Helper()
	s, ok := spans[name]
	if !ok {
		t.Fatalf("no span %q stored", name)
	}
	if s.Type != typ || s.ParentSpanID != parent {
		t.Errorf("%q: type %s parent %q, want %s under %q", name, s.Type, s.ParentSpanID, typ, parent)
	}
	return s
}

// markerOf returns the string attribute key of a recorded span.
func markerOf(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.AsString()
		}
	}
	return ""
}
