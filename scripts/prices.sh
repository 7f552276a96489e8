#!/usr/bin/env bash
# Regenerates server/pricing/prices.json from the price dataset pinned in
# server/pricing/internal/genprices/package.json (and its package-lock.json):
# installs exactly that release with npm ci in a temporary folder, dumps its
# data to genai-prices.json beside the generator, and runs the generator.
# Both outputs are committed; make test reads them and never the network.
set -euo pipefail
cd "$(dirname "$0")/.."

gen=server/pricing/internal/genprices
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp "$gen/package.json" "$gen/package-lock.json" "$gen/dump.mjs" "$tmp/"
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)

name=$(node -p 'Object.keys(require(process.argv[1]).dependencies)[0]' "$tmp/package.json")
version=$(node -p 'require(process.argv[1]).version' "$tmp/node_modules/$name/package.json")
# The release date of the pinned version: the dataset's as_of.
published=$(npm view "$name@$version" time --json |
	node -e 'const t = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(t[process.argv[1]].slice(0, 10))' "$version")

node "$tmp/dump.mjs" "$published" >"$tmp/genai-prices.json"
mv "$tmp/genai-prices.json" "$gen/genai-prices.json"
go run "./$gen" -dataset "$gen/genai-prices.json" -out server/pricing/prices.json
echo "prices: $name $version ($published) -> server/pricing/prices.json"
