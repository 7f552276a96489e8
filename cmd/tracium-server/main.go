// Command tracium-server runs the Tracium collector. With no configuration
// it keeps everything in ./tracium-data; see --help for every setting.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/tracium/tracium/server"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tracium-server:", err)
		os.Exit(2)
	}
	cfg.Logger = logger
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg)
	if err != nil {
		logger.Error("start", "err", err)
		os.Exit(1)
	}
	if err := srv.Run(ctx); err != nil {
		logger.Error("run", "err", err)
		os.Exit(1)
	}
}

// parseConfig reads each setting from its flag, else its environment
// variable, else the default.
func parseConfig(args []string, getenv func(string) string) (server.Config, error) {
	fs := flag.NewFlagSet("tracium-server", flag.ContinueOnError)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var cfg server.Config
	fs.StringVar(&cfg.Addr, "addr", env("TRACIUM_ADDR", server.DefaultAddr), "listen address (TRACIUM_ADDR)")
	fs.StringVar(&cfg.DataDir, "data-dir", env("TRACIUM_DATA_DIR", server.DefaultDataDir), "directory for embedded data (TRACIUM_DATA_DIR)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("TRACIUM_DATABASE_URL", ""), "postgres:// URL; empty for embedded SQLite (TRACIUM_DATABASE_URL)")
	autoMigrate, err := strconv.ParseBool(env("TRACIUM_AUTO_MIGRATE", "true"))
	if err != nil {
		return cfg, fmt.Errorf("TRACIUM_AUTO_MIGRATE: %w", err)
	}
	fs.BoolVar(&cfg.AutoMigrate, "auto-migrate", autoMigrate, "apply pending migrations at start (TRACIUM_AUTO_MIGRATE)")
	return cfg, fs.Parse(args)
}
