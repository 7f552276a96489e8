#!/usr/bin/env bash
# Installs what Tracium's tests need and a fresh Debian machine lacks:
# PostgreSQL's programs (the test harness starts a throwaway cluster with
# them when no TRACIUM_TEST_DATABASE_URL is given, and a cluster with a
# streaming replica whatever it is given) and Chromium (the UI's
# browser test), Redis, and Node.js with the npm packages of the Node
# emitter tests. Safe to run again.
set -euo pipefail

have_postgres() {
	command -v initdb >/dev/null 2>&1 && return 0
	command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ] && return 0
	compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

apt_install() {
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "deps: need root or sudo to install: $*" >&2
			return 1
		fi
		sudo="sudo"
	fi
	if [ -z "${APT_UPDATED:-}" ]; then
		$sudo apt-get update -qq
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! have_postgres; then
	echo "deps: installing PostgreSQL for the test harness" >&2
	apt_install postgresql
fi

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
	echo "deps: installing Chromium for the browser test" >&2
	apt_install chromium
fi

if [ -z "${TRACIUM_TEST_REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1 && ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then echo "deps: installing Redis for the test harness" >&2; apt_install redis-server; fi

# Node.js and the Node OpenTelemetry emitters that sdk/llmtest/otlpnode
# runs, installed from their committed lockfile; npm ci runs again only
# when the lockfile changed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "deps: installing Node.js and npm for the Node emitter tests" >&2
	apt_install nodejs npm
fi
node_dir="$(cd "$(dirname "$0")/.." && pwd)/sdk/llmtest/otlpnode/testdata"
lock_sum=$(sha256sum "$node_dir/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$node_dir/node_modules/.lockfile-sha256" 2>/dev/null)" != "$lock_sum" ]; then
	echo "deps: npm ci in sdk/llmtest/otlpnode/testdata" >&2
	(cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
	echo "$lock_sum" >"$node_dir/node_modules/.lockfile-sha256"
fi

# Orchestrion, for the zero-code test (sdk/contrib/all/e2e): the pinned
# release from the module proxy, into GOPATH/bin, unless it is there.
orchestrion_version=v1.15.0
orchestrion_bin="$(go env GOPATH)/bin/orchestrion"
if ! "$orchestrion_bin" version 2>/dev/null | grep -qF "$orchestrion_version"; then
	echo "deps: installing orchestrion $orchestrion_version" >&2
	GOFLAGS= GOWORK=off go install "github.com/DataDog/orchestrion@$orchestrion_version"
fi
