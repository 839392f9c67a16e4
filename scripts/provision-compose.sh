#!/usr/bin/env bash
# Give the docker CLI Compose v2 (and buildx) with no container registry
# (ENVIRONMENT.md "A real Docker engine"): Debian 12 packages neither, but
# Debian 13's docker-compose and docker-buildx run here. Fetch them with apt from
# a trixie source list kept in a private state dir (the machine's own apt sources
# and lists are never touched), unpack with dpkg -x, and copy the CLI plugins
# into ~/.docker/cli-plugins. Idempotent: does nothing when `docker compose
# version` already answers. Run as root; .ci/run calls it after provision-docker.sh.
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              DOCKER_CONFIG (default ~/.docker; the plugins go in its cli-plugins).
set -euo pipefail

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PLUGINS=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
PACKAGES=(docker-compose docker-buildx)

say() { printf 'provision-compose: %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

if docker compose version >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; then
  say "$(docker compose version)"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "must run as root"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/debs"
echo "deb $MIRROR trixie main" >"$work/sources.list"
# Only trixie's indexes, in our own directories: the host's bookworm state stays as it is.
apt_opts=(
  -o "Dir::Etc::SourceList=$work/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache::Archives=$work/archives"
  -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
  -o "APT::Architecture=$(dpkg --print-architecture)"
)

say "fetching ${PACKAGES[*]} from Debian trixie"
apt-get "${apt_opts[@]}" update -qq >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log" >&2; die "apt-get update (trixie)"; }
(cd "$work/debs" && apt-get "${apt_opts[@]}" download -qq "${PACKAGES[@]}" >>"$work/apt.log" 2>&1) ||
  { tail -n 20 "$work/apt.log" >&2; die "apt-get download ${PACKAGES[*]}"; }

for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/root"; done
mkdir -p "$PLUGINS"
for plugin in "$work"/root/usr/libexec/docker/cli-plugins/*; do
  install -m 0755 "$plugin" "$PLUGINS/$(basename "$plugin")"
done

docker compose version >/dev/null 2>&1 || die "docker compose does not run after install"
say "$(docker compose version); $(docker buildx version)"
