#!/usr/bin/env bash
# Build the sandbox image (DESIGN.md "The sandbox"; sandbox-image/Dockerfile):
# bundle src/runner/ to one runner.mjs with esbuild, build from a context holding
# only that and the Dockerfile, print the image ID (what the sidecar pins) on stdout.
#
#   scripts/build-sandbox-image.sh                          official base (needs a registry)
#   BASE_IMAGE=wopr-p2p-base:test scripts/build-sandbox-image.sh   local base (scripts/make-base-image.sh)
#
# Environment: BASE_IMAGE (default: the Dockerfile's pinned official image),
#              SANDBOX_TAG (default wopr-p2p-sandbox:local; a convenience name, never trusted).
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${SANDBOX_TAG:-wopr-p2p-sandbox:local}
say() { printf 'build-sandbox-image: %s\n' "$*" >&2; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

node_modules/.bin/esbuild src/runner/main.ts --bundle --platform=node --format=esm --target=node24 \
  --legal-comments=none --log-level=warning --outfile="$ctx/runner.mjs"
cp sandbox-image/Dockerfile "$ctx/Dockerfile"

args=(--network host --iidfile "$ctx/image-id" -t "$TAG")
[ -n "${BASE_IMAGE:-}" ] && args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
# Docker's legacy builder (no buildx on these machines) logs to stdout: keep it for failures only.
if ! docker build "${args[@]}" "$ctx" >"$ctx/build.log" 2>&1; then
  tail -n 30 "$ctx/build.log" >&2
  say "FAILED"
  exit 1
fi
say "$TAG ($(docker image inspect --format '{{.Size}}' "$(cat "$ctx/image-id")") bytes)"
cat "$ctx/image-id"
echo
