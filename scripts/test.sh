#!/usr/bin/env bash
# Runs every check and test of every Go module in the repository. This is
# the README's test command (make test) and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"

scripts/deps.sh

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt needed on:" $unformatted >&2
	exit 1
fi

echo "== generated code is current"
if ! out=$(go tool templ generate 2>&1); then
	echo "$out" >&2
	exit 1
fi
stale=$(git status --porcelain -- '*_templ.go')
if [ -n "$stale" ]; then
	echo "$stale" >&2
	echo "run 'make generate' and commit the generated files" >&2
	exit 1
fi

# Every module is tested: those go.work lists in the workspace, the others
# (whose dependencies cannot share a build with the workspace's, such as
# sdk/contrib/otel/genkite2e) on their own go.mod with GOWORK=off.
# Programs under testdata are built by their tests (sdk/contrib/all/e2e),
# not tested as modules of their own.
workspace=$(go work edit -json | sed -n 's/^.*"DiskPath": *"\(.*\)".*$/\1/p' | sed 's|^\./||; s|^$|.|')
for mod in $(git ls-files 'go.mod' '*/go.mod' | grep -v '/testdata/' | xargs -n1 dirname); do
	if grep -qxF "$mod" <<<"$workspace"; then
		echo "== module $mod"
		(cd "$mod" && go vet ./... && go test -count=1 -timeout 30m ./...)
	else
		echo "== module $mod (outside go.work: GOWORK=off)"
		(cd "$mod" && GOWORK=off go vet ./... && GOWORK=off go test -count=1 -timeout 30m ./...)
	fi
done

echo "== the tests changed no tracked file"
changed=$(git status --porcelain --untracked-files=no -- . ':!go.work.sum' ':!*go.sum')
if [ -n "$changed" ]; then
	echo "$changed" >&2
	echo "a test wrote into the repository; tests write to temporary folders" >&2
	exit 1
fi
