// The one test command (`npm test`): runs every test tier with uvu, each tier in
// its own process, and closes with the plain line CI reads: `N passed, N failed`.
// uvu prints Total/Passed/Skipped but no failed count, so we compute it; a tier
// that dies before printing its totals counts as one failure.
//
//   npm test                 all tiers
//   npm test -- unit swarm   only the named tiers (folders under test/)

import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const ALL_TIERS = ['unit', 'contract', 'engine', 'swarm', 'e2e']
const root = new URL('.', import.meta.url).pathname
const asked = process.argv.slice(2)
const tiers = (asked.length ? asked : ALL_TIERS).filter((t) => existsSync(join(root, t)) && statSync(join(root, t)).isDirectory())

for (const t of asked) if (!ALL_TIERS.includes(t)) console.error(`unknown tier "${t}" (tiers: ${ALL_TIERS.join(', ')})`)

function hasTests(dir: string): boolean {
  return readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.test.ts'))
}

/**
 * The swarm tier runs in a network namespace of its own with only loopback up
 * (ENVIRONMENT.md "Hyperswarm without the internet"): no test swarm can reach or
 * be reached from a real network, whatever address a DHT node picks. Root uses a
 * plain namespace; anyone else a user namespace. No fallback: without one the tier fails.
 */
const LOOPBACK_ONLY = new Set(['swarm'])
/** Far above any tier's normal run (the slowest, engine, takes a few minutes). */
const TIER_LIMIT_MS = 25 * 60_000

function commandFor(tier: string, argv: string[]): [string, string[]] {
  if (!LOOPBACK_ONLY.has(tier)) return [process.execPath, argv]
  const user = process.getuid?.() === 0 ? [] : ['-r']
  return ['unshare', [...user, '-n', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...argv]]
}

function runTier(tier: string): Promise<{ passed: number; failed: number }> {
  return new Promise((resolve) => {
    const uvu = join(root, '..', 'node_modules', 'uvu', 'bin.js')
    const [command, args] = commandFor(tier, ['--import', 'tsx', uvu, join('test', tier), '\\.test\\.ts$'])
    const child = spawn(command, args, {
      cwd: join(root, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk)
      out += chunk.toString('utf8')
      if (out.length > 1_000_000) out = out.slice(-100_000)
    })
    child.on('error', (err) => console.log(`tier ${tier}: cannot start ${command}: ${err.message}`))
    // A hung tier must end the run with a failure, not hold CI until its own time limit.
    const guard = setTimeout(() => {
      console.log(`tier ${tier}: still running after ${TIER_LIMIT_MS / 60_000} min; stopped`)
      child.kill('SIGKILL')
    }, TIER_LIMIT_MS)
    child.on('close', (code) => {
      clearTimeout(guard)
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '')
      const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN)
      const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN)
      const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0)
      if (Number.isNaN(total) || Number.isNaN(passed)) {
        console.log(`tier ${tier}: runner exited with code ${code} before reporting totals`)
        resolve({ passed: 0, failed: 1 })
        return
      }
      const failed = Math.max(total - passed - skipped, code === 0 ? 0 : 1)
      resolve({ passed, failed })
    })
  })
}

// The type check counts as one test: a project that does not type-check is broken.
function typecheck(): Promise<boolean> {
  return new Promise((resolve) => {
    console.log('=== typecheck (tsc --noEmit) ===')
    const tsc = join(root, '..', 'node_modules', 'typescript', 'bin', 'tsc')
    const child = spawn(process.execPath, [tsc, '--noEmit', '-p', join(root, '..')], { stdio: 'inherit' })
    child.on('close', (code) => resolve(code === 0))
  })
}

let passed = 0
let failed = 0
if (!asked.length) {
  if (await typecheck()) passed++
  else failed++
}
for (const tier of tiers) {
  if (!hasTests(join(root, tier))) continue
  console.log(`\n=== tier: ${tier} ===`)
  const r = await runTier(tier)
  passed += r.passed
  failed += r.failed
}
console.log(`\n${passed} passed, ${failed} failed`)
process.exit(failed === 0 && passed > 0 ? 0 : 1)
