// Package jobsbench measures what Tracium's gRPC, asynq and River
// integrations add to each call, beside the bare library and beside
// OpenTelemetry's own instrumentation (otelgrpc's stats handlers,
// rivercontrib/otelriver; asynq has none), in one run:
//
//	cd bench/contrib/jobs && go test -run '^$' -bench . -benchmem
//
// It is its own module so that no other module depends on OpenTelemetry.
package jobsbench
