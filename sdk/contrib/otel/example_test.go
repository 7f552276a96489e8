package traciumotel_test

import (
	"context"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium/tracium/sdk"
	traciumotel "github.com/tracium/tracium/sdk/contrib/otel"
)

// The one line a program adds after tracium.Trace: OpenTelemetry spans go
// to Tracium and nest with its spans.
func ExampleNewTracerProvider() {
	client := tracium.Trace()
	defer client.Shutdown(context.Background())

	tp := traciumotel.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	otel.SetTracerProvider(tp)
}

// On a TracerProvider the program already has, such as Genkit's
// tracing.TracerProvider(), register the processor instead.
func ExampleNewSpanProcessor() {
	tp := sdktrace.NewTracerProvider()
	tp.RegisterSpanProcessor(traciumotel.NewSpanProcessor())
	otel.SetTracerProvider(tp)
}
