// Command tracium-server runs the Tracium collector. With no configuration
// it keeps everything (SQLite, NATS JetStream) in ./tracium-data and prints
// an API key; see --help for every setting.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tracium/tracium/server"
	"github.com/tracium/tracium/server/ingest"
	"github.com/tracium/tracium/server/queue"
	"github.com/tracium/tracium/server/writer"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(os.Getenv("TRACIUM_ADDR")))
	}
	if len(os.Args) >= 2 && os.Args[1] == "dead-letters" {
		os.Exit(deadLetters(context.Background(), os.Args[2:], os.Getenv, os.Stdout, os.Stderr))
	}
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tracium-server:", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg.Logger = logger
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg)
	if err != nil {
		logger.Error("start", "err", err)
		os.Exit(1)
	}
	srv.SetReady(func(addr net.Addr) { printBanner(os.Stdout, addr, srv.Bootstrap) })
	if err := srv.Run(ctx); err != nil {
		logger.Error("run", "err", err)
		os.Exit(1)
	}
}

// printBanner tells a person at the terminal how to use the server. The
// generated key is shown once, when it is made; it is never logged.
func printBanner(w io.Writer, addr net.Addr, b server.Bootstrap) {
	host := addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		host = net.JoinHostPort("localhost", strconv.Itoa(tcp.Port))
	}
	fmt.Fprintf(w, "\nTracium is ready.\n  UI and API:  http://%s\n  Project:     %s\n", host, b.Project.Name)
	switch {
	case b.NewAPIKey != "":
		fmt.Fprintf(w, "  API key:     %s\n               (shown once; also kept in %s)\n", b.NewAPIKey, b.APIKeyFile)
	case b.APIKeyFile != "":
		fmt.Fprintf(w, "  API key:     in %s\n", b.APIKeyFile)
	}
	switch {
	case b.NewAdminPassword != "":
		fmt.Fprintf(w, "  Sign in:     %s / %s\n               (shown once; also kept in %s)\n", b.AdminEmail, b.NewAdminPassword, b.AdminPasswordFile)
	case b.AdminPasswordFile != "":
		fmt.Fprintf(w, "  Sign in:     %s, password in %s\n", b.AdminEmail, b.AdminPasswordFile)
	}
	fmt.Fprintf(w, "  SDK:         TRACIUM_ENDPOINT=http://%s TRACIUM_API_KEY=<key>\n", host)
	fmt.Fprintf(w, "  OTLP:        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://%s/v1/traces\n\n", host)
}

// setting is one configuration value: a flag and its environment variable.
type setting struct {
	flag, env, def, help string
	dest                 *string
}

// parseConfig reads each setting from its flag, else its environment
// variable, else its default.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (server.Config, error) {
	fs := flag.NewFlagSet("tracium-server", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tracium-server [flags]\n"+
			"       tracium-server dead-letters list [--json] | replay (--id N | --all) [flags]\n"+
			"       tracium-server healthcheck\n\nEvery flag is also an environment variable, named beside it:\n")
		fs.PrintDefaults()
	}
	return parseConfigWith(fs, args, getenv, out)
}

// parseConfigWith is parseConfig on a flag set that may carry a
// subcommand's own flags too.
func parseConfigWith(fs *flag.FlagSet, args []string, getenv func(string) string, out io.Writer) (server.Config, error) {
	var cfg server.Config
	var autoMigrate, maxBody, maxSpans, rateLimit, writers string
	var bodyTimeout, ingestConcurrency, ingestMemory, windowBack, windowAhead, maxDeliveries string
	var replicas, queueMaxBytes, queueMaxAge, queueAckWait, retentionDays string
	settings := []setting{
		{"addr", "TRACIUM_ADDR", server.DefaultAddr, "listen address", &cfg.Addr},
		{"otlp-grpc-addr", "TRACIUM_OTLP_GRPC_ADDR", "", "OTLP/gRPC listen address (for example :4317); empty turns OTLP/gRPC off", &cfg.OTLPGRPCAddr},
		{"data-dir", "TRACIUM_DATA_DIR", server.DefaultDataDir, "directory for embedded SQLite, NATS and generated secrets", &cfg.DataDir},
		{"database-url", "TRACIUM_DATABASE_URL", "", "postgres:// URL; empty for the embedded SQLite store", &cfg.DatabaseURL},
		{"read-database-url", "TRACIUM_READ_DATABASE_URL", "", "postgres:// URL of a read replica for the REST API and the UI's trace pages; empty reads the primary", &cfg.ReadDatabaseURL},
		{"nats-url", "TRACIUM_NATS_URL", "", "nats:// URL of a JetStream server (a cluster: several, comma-separated); empty for an embedded one", &cfg.NATSURL},
		{"nats-replicas", "TRACIUM_NATS_REPLICAS", "1", "replicas of the span stream on a JetStream cluster (3 survives the loss of a server)", &replicas},
		{"queue-max-bytes", "TRACIUM_QUEUE_MAX_BYTES", strconv.Itoa(queue.DefaultMaxBytes), "most bytes of batches queued and not yet written; past it ingest answers 503 queue_full", &queueMaxBytes},
		{"queue-max-age", "TRACIUM_QUEUE_MAX_AGE", "0", "oldest unwritten batch kept; older ones are removed, written or not (0: none; see docs/scaling.md)", &queueMaxAge},
		{"queue-ack-wait", "TRACIUM_QUEUE_ACK_WAIT", queue.DefaultAckWait.String(), "how soon a batch a collector took and did not write goes to another", &queueAckWait},
		{"retention-days", "TRACIUM_RETENTION_DAYS", "0", "remove every project's traces of days that ended this many days ago (0: keep them)", &retentionDays},
		{"auto-migrate", "TRACIUM_AUTO_MIGRATE", "true", "apply pending database migrations at start", &autoMigrate},
		{"bootstrap-api-key", "TRACIUM_BOOTSTRAP_API_KEY", "", "ensure project \"default\" has this sk_live_ key", &cfg.BootstrapAPIKey},
		{"admin-email", "TRACIUM_ADMIN_EMAIL", "", "email of the first web UI user", &cfg.AdminEmail},
		{"admin-password", "TRACIUM_ADMIN_PASSWORD", "", "password of the first web UI user", &cfg.AdminPassword},
		{"secret", "TRACIUM_SECRET", "", "session signing key, at least 32 bytes; generated into the data directory when empty", &cfg.Secret},
		{"max-body-bytes", "TRACIUM_MAX_BODY_BYTES", "10485760", "largest ingest body, after decompression", &maxBody},
		{"max-batch-spans", "TRACIUM_MAX_BATCH_SPANS", "10000", "most spans in one ingest request", &maxSpans},
		{"rate-limit", "TRACIUM_RATE_LIMIT", "200", "ingest requests per second per API key (burst twice that); negative for none", &rateLimit},
		{"prices-file", "TRACIUM_PRICES_FILE", "", "JSON model price table replacing the built-in one", &cfg.PricesFile},
		{"writers", "TRACIUM_WRITERS", "2", "concurrent store writers in this process", &writers},
		{"body-timeout", "TRACIUM_BODY_TIMEOUT", "30s", "longest time a request's headers and body may take to arrive", &bodyTimeout},
		{"ingest-concurrency", "TRACIUM_INGEST_CONCURRENCY", strconv.Itoa(ingest.DefaultMaxConcurrent), "most ingest requests read and decoded at once; past it, 503", &ingestConcurrency},
		{"ingest-memory-bytes", "TRACIUM_INGEST_MEMORY_BYTES", strconv.Itoa(ingest.DefaultMemoryBytes), "most bytes ingest requests hold at once (read, decompressed, decoded); past it, 503", &ingestMemory},
		{"span-window-back", "TRACIUM_SPAN_WINDOW_BACK", "400d", "oldest start time accepted, before the collector's clock", &windowBack},
		{"span-window-ahead", "TRACIUM_SPAN_WINDOW_AHEAD", "1d", "latest start time accepted, after the collector's clock", &windowAhead},
		{"max-deliveries", "TRACIUM_MAX_DELIVERIES", strconv.Itoa(writer.DefaultMaxDeliveries), "store writes tried for a batch, while the store answers, before it is dead-lettered", &maxDeliveries},
		{"pprof-addr", "TRACIUM_PPROF_ADDR", "", "address serving Go's profiles (/debug/pprof/) on their own listener, such as 127.0.0.1:6060; empty for none", &cfg.PprofAddr},
	}
	fs.SetOutput(out)
	for _, s := range settings {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(s.dest, s.flag, def, s.help+" ("+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var err error
	if cfg.AutoMigrate, err = strconv.ParseBool(autoMigrate); err != nil {
		return cfg, fmt.Errorf("auto-migrate: %w", err)
	}
	if cfg.MaxBodyBytes, err = strconv.ParseInt(maxBody, 10, 64); err != nil || cfg.MaxBodyBytes <= 0 {
		return cfg, fmt.Errorf("max-body-bytes: want a positive integer, got %q", maxBody)
	}
	if cfg.MaxBatchSpans, err = strconv.Atoi(maxSpans); err != nil || cfg.MaxBatchSpans <= 0 {
		return cfg, fmt.Errorf("max-batch-spans: want a positive integer, got %q", maxSpans)
	}
	if cfg.RateLimit, err = strconv.ParseFloat(rateLimit, 64); err != nil || cfg.RateLimit == 0 {
		return cfg, fmt.Errorf("rate-limit: want a non-zero number, got %q", rateLimit)
	}
	if cfg.Writers, err = strconv.Atoi(writers); err != nil || cfg.Writers <= 0 {
		return cfg, fmt.Errorf("writers: want a positive integer, got %q", writers)
	}
	if cfg.BodyTimeout, err = parseDuration(bodyTimeout); err != nil {
		return cfg, fmt.Errorf("body-timeout: %w", err)
	}
	if cfg.IngestConcurrency, err = strconv.Atoi(ingestConcurrency); err != nil || cfg.IngestConcurrency <= 0 {
		return cfg, fmt.Errorf("ingest-concurrency: want a positive integer, got %q", ingestConcurrency)
	}
	if cfg.IngestMemoryBytes, err = strconv.ParseInt(ingestMemory, 10, 64); err != nil || cfg.IngestMemoryBytes <= 0 {
		return cfg, fmt.Errorf("ingest-memory-bytes: want a positive integer, got %q", ingestMemory)
	}
	if cfg.SpanWindow.Back, err = parseDuration(windowBack); err != nil {
		return cfg, fmt.Errorf("span-window-back: %w", err)
	}
	if cfg.SpanWindow.Ahead, err = parseDuration(windowAhead); err != nil {
		return cfg, fmt.Errorf("span-window-ahead: %w", err)
	}
	if cfg.MaxDeliveries, err = strconv.Atoi(maxDeliveries); err != nil || cfg.MaxDeliveries <= 0 {
		return cfg, fmt.Errorf("max-deliveries: want a positive integer, got %q", maxDeliveries)
	}
	return cfg, parseScaling(&cfg, replicas, queueMaxBytes, queueMaxAge, queueAckWait, retentionDays)
}

// parseScaling reads the settings of a deployment past one machine: the
// span stream's replicas and limits, and retention.
func parseScaling(cfg *server.Config, replicas, maxBytes, maxAge, ackWait, retentionDays string) error {
	var err error
	if cfg.Queue.Replicas, err = strconv.Atoi(replicas); err != nil || cfg.Queue.Replicas < 1 || cfg.Queue.Replicas > queue.MaxReplicas {
		return fmt.Errorf("nats-replicas: want 1 to %d, got %q", queue.MaxReplicas, replicas)
	}
	if cfg.Queue.MaxBytes, err = strconv.ParseInt(maxBytes, 10, 64); err != nil || cfg.Queue.MaxBytes <= 0 {
		return fmt.Errorf("queue-max-bytes: want a positive integer, got %q", maxBytes)
	}
	if maxAge != "0" {
		if cfg.Queue.MaxAge, err = parseDuration(maxAge); err != nil {
			return fmt.Errorf("queue-max-age: %w, or 0 for none", err)
		}
	}
	if cfg.Queue.AckWait, err = parseDuration(ackWait); err != nil {
		return fmt.Errorf("queue-ack-wait: %w", err)
	}
	if cfg.RetentionDays, err = strconv.Atoi(retentionDays); err != nil || cfg.RetentionDays < 0 {
		return fmt.Errorf("retention-days: want 0 or a number of days, got %q", retentionDays)
	}
	return nil
}

// parseDuration reads a positive Go duration ("90s", "36h") or a number
// of days ("400d").
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n <= 0 || n > 100*365 {
			return 0, fmt.Errorf("want a positive duration such as 30s, 36h or 400d, got %q", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a positive duration such as 30s, 36h or 400d, got %q", s)
	}
	return d, nil
}

// healthcheck asks a running server on addr whether it is ready, for
// container health checks on an image without curl. It returns the exit
// code.
func healthcheck(addr string) int {
	_, port, err := net.SplitHostPort(cmp.Or(addr, server.DefaultAddr))
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort("127.0.0.1", port) + "/readyz")
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "healthcheck: status", resp.StatusCode)
		return 1
	}
	return 0
}
