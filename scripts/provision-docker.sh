#!/usr/bin/env bash
# Provision a real Docker engine and a local test base image, with no registry
# (ENVIRONMENT.md "A real Docker engine", "No container registry"). Idempotent,
# non-interactive, run as root; .ci/run calls it on a clean machine.
#
#   scripts/provision-docker.sh          engine + wopr-p2p-test-base:latest
#
# Environment: DOCKERD_LOG (default /var/log/dockerd.log),
#              TEST_BASE_IMAGE (default wopr-p2p-test-base:latest).
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
TEST_BASE_IMAGE=${TEST_BASE_IMAGE:-wopr-p2p-test-base:latest}
WAIT_SECONDS=60

say() { printf 'provision-docker: %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
export DEBIAN_FRONTEND=noninteractive

# Packages: the engine (Debian's docker.io = Engine 20.10, API 1.41, the version
# the proxy pins) and a static busybox for the test base image.
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The engine: no systemd on these machines, so start dockerd ourselves.
# The Debian docker CLI lands in /usr/bin; a newer CLI may shadow it in
# /usr/local/bin, which is fine: it negotiates the API version down.
if ! docker info >/dev/null 2>&1; then
  if ! pgrep -x dockerd >/dev/null; then
    say "starting dockerd (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  for _ in $(seq 1 "$WAIT_SECONDS"); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -n 30 "$DOCKERD_LOG" >&2 || true; die "engine not reachable after ${WAIT_SECONDS}s"; }
fi
say "engine $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

# The test base image: a static busybox and its applet links, imported from a
# tar (nothing can be pulled). Tiny and built in well under a second.
if ! docker image inspect "$TEST_BASE_IMAGE" >/dev/null 2>&1; then
  say "building $TEST_BASE_IMAGE"
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  tar -C "$root" -c . | docker import --change 'CMD ["/bin/sh"]' - "$TEST_BASE_IMAGE" >/dev/null
fi
say "test image $TEST_BASE_IMAGE = $(docker image inspect --format '{{.Id}}' "$TEST_BASE_IMAGE")"
