#!/bin/sh
# Inside an image build only (Dockerfile `deps`, sandbox-image/Dockerfile `bundle`): install the
# production dependencies of package-lock.json into ./node_modules. One script for both builds
# so they install the same way (and, from the same base, share the cached layer).
#
# npm for a base that lacks it (the local stand-in, scripts/make-base-image.sh): the tarball
# below, checked against the registry's sha512 before it runs. An official image's npm is used
# as is. EXTRA_CA_CERTS (build arg): PEM text of extra CAs for reaching the registry through a
# TLS-inspecting egress proxy; used here only, the images never keep them.
set -eu
NPM_VERSION=11.21.2
NPM_INTEGRITY=sha512-7HPApk+AflMUavSseL1Pm6CnYqMIHk53x+KmuhqmTDqPkjPMgxIpTPcTqsE91EKNw4gFBJV9fnXiSdGm1DXq9A==

if [ -n "${EXTRA_CA_CERTS:-}" ]; then
  printf '%s\n' "$EXTRA_CA_CERTS" >/tmp/extra-ca.pem
  export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem
fi
if command -v npm >/dev/null; then
  npm_cli=npm
else
  node --input-type=module -e "
    import { createHash } from 'node:crypto'; import { writeFileSync } from 'node:fs';
    const [version, integrity] = process.argv.slice(1);
    const res = await fetch('https://registry.npmjs.org/npm/-/npm-' + version + '.tgz');
    if (!res.ok) throw new Error('npm tarball: HTTP ' + res.status);
    const body = Buffer.from(await res.arrayBuffer());
    const got = 'sha512-' + createHash('sha512').update(body).digest('base64');
    if (got !== integrity) throw new Error('npm tarball integrity mismatch: ' + got);
    writeFileSync('/tmp/npm.tgz', body);" "$NPM_VERSION" "$NPM_INTEGRITY"
  mkdir -p /tmp/npm && tar -xzf /tmp/npm.tgz -C /tmp/npm --strip-components=1
  npm_cli="node /tmp/npm/bin/npm-cli.js"
fi
# --ignore-scripts: no package runs code at build time. Nothing needs it: sodium-native and
# esbuild find their prebuilt binaries at run time, ssh2's optional native speedup is skipped.
$npm_cli ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
# Native prebuilds for other platforms are dead weight in a linux image.
platform=$(node -p 'process.platform + "-" + process.arch')
find node_modules -type d -path '*/prebuilds/*' -prune ! -name "$platform" -exec rm -rf {} +
rm -rf /root/.npm /tmp/npm /tmp/npm.tgz /tmp/extra-ca.pem
