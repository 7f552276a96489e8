# Tracium's entry points. See README.md.

.PHONY: run test bench bench-ingest bench-topology bench-query bench-sdk bench-export generate screenshots prices

# Run the collector with embedded defaults (SQLite and NATS in ./tracium-data).
run:
	go run ./cmd/tracium-server

# Every check and test of every module; installs what the tests need.
test:
	scripts/test.sh

# Benchmarks beside their peers (raw pgx.CopyFrom; the span stream in one
# replica beside three); see README and docs/scaling.md for figures.
bench:
	scripts/deps.sh
	go test -run '^$$' -bench . -benchmem -benchtime 3x ./store/...
	go test -run '^$$' -bench Publish -benchtime 2000x ./server/queue/

# Refreshes the README's screenshots (docs/screenshots) from the browser
# test, which otherwise writes them to a temporary folder.
screenshots:
	scripts/deps.sh
	cd sdk/llmtest && TRACIUM_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots go test -count=1 -run 'TestBrowserShowsCapturedCalls|TestBrowserReadsASession|TestBrowserScores' .
	cd sdk/contrib/eino/e2e && TRACIUM_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots go test -count=1 -run 'TestEinoEndToEnd' .

# Regenerates the templ views (server/ui/*_templ.go), which are committed.
generate:
	go tool templ generate

# Regenerates the embedded price table (server/pricing/prices.json) from the
# pinned @pydantic/genai-prices release; needs npm and the network.
prices:
	scripts/prices.sh

# End-to-end ingest: load generator -> tracium-server -> PostgreSQL, beside raw COPY.
bench-ingest:
	scripts/deps.sh
	go test -run '^$$' -bench 'Ingest(SQLite|Protocols)?$$' -benchtime 3x -timeout 60m ./bench/

# The same across deployments: the span stream in one replica or three, one
# to three collectors, a streaming replica of PostgreSQL; beside one
# collector in the same run (docs/scaling.md).
bench-topology:
	scripts/deps.sh
	go test -run '^$$' -bench IngestTopology -benchtime 2x -timeout 60m ./bench/

# The SDK's cost per span beside the OpenTelemetry Go SDK's (its own module).
bench-sdk:
	cd bench/sdk && go test -run '^$$' -bench . -benchtime 200000x ./...

# What a user waits for over HTTP with 1,000,000 spans stored (p50, p95).
bench-query:
	scripts/deps.sh
	go test -run '^$$' -bench Query -benchtime 50x -timeout 60m ./bench/

# Streamed export of 1,000,000 spans on both backends, beside a bare read of the same rows.
bench-export:
	scripts/deps.sh
	go test -run '^$$' -bench Export -benchtime 1x -timeout 90m ./server/query/
