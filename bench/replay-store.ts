// The replay store measured in a child started with --expose-gc (argv[2] = a 0700 dir): the heap
// 100,000 nonces across 100 peers need, the time to reopen that journal, and the cost of check()
// for fresh and replayed nonces. Prints one JSON line; used by `npm run bench` and the budget test.

import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { ReplayStore } from '../src/store/replay-store.ts'

const dir = process.argv[2]!
const gc = (globalThis as { gc?: () => void }).gc!
const COUNT = 100_000
// Real peer keys are 60-char base64 SPKI strings.
const peers = Array.from({ length: 100 }, () => randomBytes(45).toString('base64'))
const now = Date.now()

function heapAfterGc(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

// Memory: each nonce is made inside the measured region, as in production where only the store keeps it.
const before = heapAfterGc()
const held = ReplayStore.open(join(dir, 'memory.jsonl'), { now })
// Distinct ts values, as parsed from distinct messages (a shared number would hide the per-entry HeapNumber).
for (let i = 0; i < COUNT; i++) held.check(peers[i % peers.length]!, randomBytes(16).toString('hex'), now - (i % 1000), now)
const heapBytes = heapAfterGc() - before
held.close()
let start = process.hrtime.bigint()
ReplayStore.open(join(dir, 'memory.jsonl'), { now }).close()
const reopenMs = Number(process.hrtime.bigint() - start) / 1e6

// Time: nonces made beforehand so only check() is timed; includes the journal writeSync and compactions.
const nonces = Array.from({ length: COUNT }, () => randomBytes(16).toString('hex'))
const timed = ReplayStore.open(join(dir, 'timed.jsonl'), { now })
const samples = new Float64Array(COUNT)
start = process.hrtime.bigint()
for (let i = 0; i < COUNT; i++) {
  const t = process.hrtime.bigint()
  if (timed.check(peers[i % peers.length]!, nonces[i]!, now, now) !== 'fresh') throw new Error('expected fresh')
  samples[i] = Number(process.hrtime.bigint() - t) / 1000
}
const freshMeanUs = Number(process.hrtime.bigint() - start) / 1000 / COUNT
start = process.hrtime.bigint()
for (let i = 0; i < COUNT; i++) if (timed.check(peers[i % peers.length]!, nonces[i]!, now, now) !== 'replay') throw new Error('expected replay')
const replayMeanUs = Number(process.hrtime.bigint() - start) / 1000 / COUNT
timed.close()
samples.sort()
const pct = (p: number) => samples[Math.floor(p * (COUNT - 1))]!

console.log(JSON.stringify({ count: COUNT, heapBytes, reopenMs, freshMeanUs, freshP50Us: pct(0.5), freshP99Us: pct(0.99), freshMaxUs: pct(1), replayMeanUs }))
