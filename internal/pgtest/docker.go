package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/postgres"
)

// dockerImage is the server image used when a Docker engine is available.
const dockerImage = "postgres:16-alpine"

// dockerServer starts a PostgreSQL container if a Docker engine answers.
// It returns (nil, nil) when there is no engine, so callers fall through
// quietly, and an error only when an engine answered but the container
// could not be started.
func dockerServer(ctx context.Context) (*server, error) {
	if !dockerLikely() || !dockerHealthy(ctx) {
		return nil, nil
	}

	ctr, err := postgres.Run(ctx, dockerImage,
		postgres.BasicWaitStrategies(),
		// The module already sets fsync=off; the rest trade durability,
		// which tests do not need, for speed and room for parallel pools.
		testcontainers.WithCmdArgs(
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
			"-c", "max_connections=200",
		),
	)
	if err != nil {
		_ = testcontainers.TerminateContainer(ctr)
		return nil, err
	}
	stop := func() {
		if err := testcontainers.TerminateContainer(ctr); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}

	admin, err := ctr.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		stop()
		return nil, err
	}
	v, err := serverVersion(ctx, admin)
	if err != nil {
		stop()
		return nil, err
	}
	host := ""
	if u, err := url.Parse(admin); err == nil {
		host = u.Host
	}
	return &server{
		url:  admin,
		desc: fmt.Sprintf("Docker container %s at %s (PostgreSQL %s)", dockerImage, host, v),
		stop: stop,
	}, nil
}

// dockerLikely is the cheap check that spares machines without Docker the
// cost of asking testcontainers, which may shell out and time out.
func dockerLikely() bool {
	if os.Getenv("DOCKER_HOST") != "" {
		return true
	}
	socks := []string{"/var/run/docker.sock"}
	// Rootless Docker and Docker Desktop put the socket elsewhere.
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		socks = append(socks, filepath.Join(d, "docker.sock"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		socks = append(socks, filepath.Join(h, ".docker", "run", "docker.sock"))
	}
	for _, s := range socks {
		if _, err := os.Stat(s); err == nil {
			return true
		}
	}
	return false
}

// dockerHealthy reports whether the engine actually answers; a socket file
// can outlive its daemon.
func dockerHealthy(ctx context.Context) (ok bool) {
	// testcontainers panics on some misconfigurations (e.g. MustExtractDockerHost);
	// any of them just means "no Docker" here.
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return false
	}
	return p.Health(ctx) == nil // Health closes the provider
}
