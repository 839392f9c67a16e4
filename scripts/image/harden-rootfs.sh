#!/bin/sh
# Inside an image build only (the `rootfs` stage of Dockerfile and sandbox-image/Dockerfile):
# give the base tini and take out what no runtime needs. Both images are then flattened onto
# scratch, so what is deleted here is really gone, not hidden under a whiteout.
set -eu

# tini as PID 1: forwards SIGTERM to node and reaps orphans (in the sandbox, the zombies of
# killed tool commands, which would otherwise hold the pids limit for the rest of the job).
# Neither base ships it; apt installs Debian's package while apt is still here.
if ! command -v tini >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tini >/dev/null
fi
tini --version

# Out: package managers (npm, corepack, yarn, apt, dpkg), docs and locales, and every
# setuid/setgid bit (no-new-privileges already neuters them; this is the second lock).
# dpkg's status file stays so image scanners still see the packages.
rm -rf /usr/local/lib/node_modules /usr/local/include /usr/local/share/doc /usr/local/share/man /opt/yarn-* \
  /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg \
  /usr/local/bin/docker-entrypoint.sh \
  /usr/bin/apt /usr/bin/apt-* /usr/bin/dpkg /usr/bin/dpkg-* /usr/lib/apt /usr/lib/dpkg /etc/apt /var/lib/apt \
  /usr/share/doc /usr/share/man /usr/share/info /usr/share/locale /usr/share/lintian /usr/share/bash-completion \
  /var/cache/* /var/log/*
find /var/lib/dpkg -mindepth 1 -maxdepth 1 ! -name status -exec rm -rf {} +
find / -xdev -type f -perm /6000 -exec chmod a-s {} +
