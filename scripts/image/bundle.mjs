// Bundles the CLI (src/main.ts and everything it imports from src/) into one ES module,
// dist/cli/wopr-p2p.mjs, for the image: no TypeScript loader at run time, so the process
// carries neither tsx's hooks thread nor its transpile cache. Packages stay external
// (node_modules, native addons). The output sits two levels below the root, like
// src/policy/load.ts, so its `new URL('../../policies/', import.meta.url)` still finds
// the shipped policies.   node scripts/image/bundle.mjs [outfile]

import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const outfile = process.argv[2] ?? `${root}dist/cli/wopr-p2p.mjs`

await build({
  entryPoints: [`${root}src/main.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
})
