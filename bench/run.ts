// `npm run bench`: every benchmark in one process run, each printing its own
// baseline and ratios; exits 1 when a target is missed.

import { missed } from './_shared.ts'

await import('./admission.ts')
await import('./sandbox.ts')
await import('./swarm.ts')

const misses = missed()
console.log(misses.length ? `\ntargets missed: ${misses.join(', ')}` : '\nall targets met')
process.exit(misses.length ? 1 : 0)
