# The wopr-p2p image: one image, every role (DESIGN.md "Processes"): `sidecar` (the default
# command), `docker-proxy`, `wopr-relay`. compose.yaml picks the role per service. The sandbox
# image is separate (sandbox-image/).
#
# BASE: the official Node 24 LTS slim image, pinned by digest. The digest is the one
# sandbox-image/Dockerfile pins (taken from public references to node:24-bookworm-slim at
# Node 24.18.0) so both images share a base; it is UNVERIFIED: the build machines reach no
# registry. Tests and CI pass the local stand-in: --build-arg BASE=wopr-p2p-base:test
# (scripts/make-base-image.sh), which has node but no npm and no tini: scripts/image/ handles both.
#
# Targets: `runtime` (the default, last stage) and `demo` (adds the WOPR and model test doubles
# and demo/ for `docker compose --profile demo`).
ARG BASE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# ---- production dependencies --------------------------------------------------------------
FROM ${BASE} AS deps
# PEM text of extra CAs for the npm registry behind a TLS-inspecting egress proxy (as on the CI
# machines): public certificates, used in this stage only (scripts/image/npm-ci.sh).
ARG EXTRA_CA_CERTS=
WORKDIR /app
COPY package.json package-lock.json scripts/image/npm-ci.sh ./
RUN sh npm-ci.sh

# ---- the root filesystem: base + tini, minus what a runtime never needs ---------------------
FROM ${BASE} AS rootfs
COPY scripts/image/harden-rootfs.sh /tmp/harden-rootfs.sh
RUN sh /tmp/harden-rootfs.sh && rm /tmp/harden-rootfs.sh
# uid 1000 is WOPR's own user (`node` in its image) that owns $WOPR_HOME/daemon-token (mode
# 0600): running as the same uid lets the wopr-relay read a read-only mount of that file without
# loosening it (the sidecar never mounts WOPR's data; the relay adds the token).
# Mount points are made here so named volumes start owned by uid 1000: the data dir, the
# docker-proxy and wopr-relay socket dirs, and WOPR's data volume (the relay's, read-only).
RUN set -eu; \
    getent group 1000 >/dev/null || echo 'wopr-p2p:x:1000:' >>/etc/group; \
    getent passwd 1000 >/dev/null || echo 'wopr-p2p:x:1000:1000:wopr-p2p:/var/lib/wopr-p2p:/usr/sbin/nologin' >>/etc/passwd; \
    mkdir -p /var/lib/wopr-p2p /run/wopr-p2p/docker /run/wopr /run/wopr-data; \
    chown 1000:1000 /var/lib/wopr-p2p /run/wopr-p2p/docker /run/wopr; \
    chmod 0700 /var/lib/wopr-p2p; chmod 0750 /run/wopr-p2p/docker /run/wopr

# ---- runtime ----------------------------------------------------------------------------------
# One flattened base layer: what was deleted above is really gone, not hidden under a whiteout.
# ---- the CLI as one ES module: no TypeScript loader at run time --------------------------------
FROM deps AS bundle
COPY src ./src
COPY scripts/image/bundle.mjs ./scripts/image/bundle.mjs
RUN node scripts/image/bundle.mjs && chmod 0755 dist/cli/wopr-p2p.mjs

FROM scratch AS runtime
COPY --from=rootfs / /
ENV PATH=/app/node_modules/.bin:/usr/local/bin:/usr/bin:/bin \
    LANG=C.UTF-8 \
    NODE_ENV=production \
    HOME=/var/lib/wopr-p2p \
    WOPR_P2P_DATA_DIR=/var/lib/wopr-p2p \
    WOPR_P2P_POLICY_DIR=/app/policies
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY policies ./policies
COPY --from=bundle /app/dist ./dist
RUN ln -s /app/dist/cli/wopr-p2p.mjs /usr/local/bin/wopr-p2p
# Code is root-owned and read-only to the process; only the data dir and sockets are its own.
USER 1000:1000
# The sidecar answers on its control socket; the other roles override this in compose.yaml.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["wopr-p2p", "status", "--json"]
ENTRYPOINT ["/usr/bin/tini", "--", "wopr-p2p"]
CMD ["sidecar"]

# ---- demo: the runtime plus the test doubles and the demo helpers --------------------------
FROM runtime AS demo
COPY test/doubles ./test/doubles
COPY demo ./demo
# The mount point of the demo's writable policy volume (compose.yaml `demo-proxy`), uid 1000's.
COPY --chown=1000:1000 demo/policies /etc/wopr-p2p/policies

# The default target is the runtime, not the demo.
FROM runtime
