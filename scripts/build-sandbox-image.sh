#!/usr/bin/env bash
# Build the sandbox image (DESIGN.md "The sandbox") from sandbox-image/Dockerfile, which bundles
# the runner itself, and print its image ID (what the sidecar pins) on stdout. The one way to
# build it: `docker compose build sandbox` runs the same Dockerfile with the same context.
#
#   scripts/build-sandbox-image.sh                                  official base (needs a registry)
#   BASE_IMAGE=wopr-p2p-base:test scripts/build-sandbox-image.sh    local base (scripts/make-base-image.sh)
#
# Environment: BASE_IMAGE (default: the Dockerfile's pinned official image),
#              SANDBOX_TAG (default wopr-p2p-sandbox:local; a convenience name, never trusted),
#              EXTRA_CA_CERTS (PEM text of CAs for npm behind a TLS-inspecting proxy; default:
#              the CAs this machine added locally, /usr/local/share/ca-certificates/*.crt).
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${SANDBOX_TAG:-wopr-p2p-sandbox:local}
say() { printf 'build-sandbox-image: %s\n' "$*" >&2; }

if [ -z "${EXTRA_CA_CERTS:-}" ]; then
  EXTRA_CA_CERTS=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --network host: the build's npm reaches the registry the way the host does (ENVIRONMENT.md).
args=(-f sandbox-image/Dockerfile --network host --iidfile "$work/image-id" -t "$TAG")
[ -n "${BASE_IMAGE:-}" ] && args+=(--build-arg "BASE=$BASE_IMAGE")
[ -n "${EXTRA_CA_CERTS:-}" ] && args+=(--build-arg "EXTRA_CA_CERTS=$EXTRA_CA_CERTS")
# The build's progress is noise unless it fails: keep the log for that.
if ! docker build "${args[@]}" . >"$work/build.log" 2>&1; then
  tail -n 30 "$work/build.log" >&2
  say "FAILED"
  exit 1
fi
say "$TAG ($(docker image inspect --format '{{.Size}}' "$(cat "$work/image-id")") bytes)"
cat "$work/image-id"
echo
