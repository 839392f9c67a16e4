// Swarm latency and footprint (issue 3, `npm run bench`), all on one local testnet in one run,
// every party in its own process so no measured event loop is shared:
//  (1) baseline: bare Hyperswarm ping-pong between two swarms, 1 KB line each way;
//  (2) inject round trip between two sidecar daemons (friends, inject granted, no-op handler),
//      1 KB each way over the reused connection: target p50 ≤ 1.5 × raw p50 + 1 ms;
//  (3) the same while a stranger floods the friend's listener at 5,000 lines/s:
//      target p99 ≤ 1.2 × the unloaded p99;
//  (4) the friend daemon's RSS, holding 100 friends, after all that traffic: ≤ 150 MB.

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { topicOf } from '../src/identity/ids.ts'
import type { SidecarStatus } from '../src/sidecar/operations.ts'
import { startNet } from '../test/support/swarm-net.ts'
import { absolute, header, verdict } from './_shared.ts'
import { BenchChild } from './support/ipc.ts'
import { ms, percentiles } from './support/latency.ts'
import { seedFriends } from './support/seed-friends.ts'
import type { DaemonMemory, SidecarNodeConfig } from './support/sidecar-node.ts'

const BYTES = 1024
const WARMUP = 100
/** Round trips per condition; the inject conditions alternate in blocks (below). */
const ROUNDS = 2_000
const BLOCKS = 8
const FLOOD_RATE = 5_000
const FLOOD_RAMP_MS = 300
/**
 * The contract's per-peer limits (30/min, 300/h for every P2P friend) are ceilings a policy
 * may only lower, so a thousand injects from one friend within seconds would be refused.
 * Rather than weaken a check, both daemons run on the wall clock plus an offset this bench
 * moves by 13 s before every inject, outside the timed part: each request arrives 13 s of
 * daemon time after the previous one, just over the 12 s spacing that 300/h allows, so the
 * limiter admits it honestly. Both clocks carry the same offset, so freshness (±5 min) and
 * reply checks see a sender whose clock agrees with theirs, and every nonce is new anyway.
 */
const STEP_MS = 13_000
const FRIENDS = 100

const RAW_PEER = new URL('./support/raw-peer.ts', import.meta.url)
const SIDECAR_NODE = new URL('./support/sidecar-node.ts', import.meta.url)
const FLOODER = new URL('./support/flooder.ts', import.meta.url)

header('swarm: inject round trip between sidecar daemons vs bare Hyperswarm, on a local testnet')
const net = await startNet()
const bootstrap = [...(net.config.bootstrap ?? [])]
const root = mkdtempSync(join(tmpdir(), 'wopr-bench-swarm-'))
const node = (name: string): SidecarNodeConfig => ({ bootstrap, dataDir: join(root, name), name })
// The friend being measured holds 99 other friends before it starts; alice makes the 100th.
seedFriends(node('bob').dataDir, FRIENDS - 1, Date.now())
const children: BenchChild[] = []
const started = (p: Promise<BenchChild>) => p.then((c) => (children.push(c), c))

try {
  const [pong, ping, alice, bob, flooder] = await Promise.all([
    started(BenchChild.start('raw-pong', RAW_PEER, { bootstrap })),
    started(BenchChild.start('raw-ping', RAW_PEER, { bootstrap })),
    started(BenchChild.start('alice', SIDECAR_NODE, node('alice'), ['--expose-gc'])),
    started(BenchChild.start('bob', SIDECAR_NODE, node('bob'), ['--expose-gc'])),
    started(BenchChild.start('flooder', FLOODER, { bootstrap })),
  ])

  // (1) the transport alone.
  const topic = await pong.call<string>('serve')
  const raw = percentiles(await ping.call<number[]>('ping', { topic, bytes: BYTES, warmup: WARMUP, rounds: ROUNDS }))
  console.log(`(1) raw Hyperswarm ping-pong, ${BYTES} B each way: p50 ${ms(raw.p50)}, p99 ${ms(raw.p99)} (${raw.n} round trips)`)
  await Promise.all([pong.stop(), ping.stop()])

  // Friends through the lines, as an operator makes them; then bob grants alice inject.
  const request = await alice.call<{ line: string }>('friendRequest', { name: 'bob' })
  const accepted = await bob.call<{ line: string }>('friendAccept', { line: request.line })
  await alice.call('friendComplete', { line: accepted.line })
  await bob.call('grant', { peer: 'alice', cap: 'inject' })
  const session = (await alice.call<SidecarStatus>('status')).ourSessionAtFriends!
  const bobKey = (await bob.call<SidecarStatus>('status')).signPub
  const bobAtStart = await bob.call<DaemonMemory>('memory')

  const text = randomBytes(BYTES).toString('base64').slice(0, BYTES)
  let offset = 0
  async function injects(n: number, into: number[], flooding = false): Promise<void> {
    for (let i = 0; i < n; i++) {
      offset = await bob.call<number>('advance', { ms: STEP_MS })
      if (flooding) await flooder.call('clock', { offsetMs: offset })
      into.push(await alice.call<number>('inject', { peer: 'bob', session, text, advanceMs: STEP_MS }))
    }
  }

  // (2) and (3): unloaded and flooded blocks alternate, so drift over the run (journal
  // compaction, heap growth, the daemons' periodic upkeep) lands on both conditions alike.
  // The warm-up also opens the connection every later inject reuses.
  await injects(WARMUP, [])
  await flooder.call('connect', { topic: topicOf(bobKey).toString('hex'), clockOffsetMs: offset })
  const quietSamples: number[] = []
  const floodSamples: number[] = []
  const flood = { sent: 0, seconds: 0, reconnects: 0, measuredSeconds: 0 }
  const refused = new Map<string, number>()
  for (let block = 0; block < BLOCKS; block++) {
    await injects(ROUNDS / BLOCKS, quietSamples)
    await flooder.call('resume', { rate: FLOOD_RATE })
    await new Promise((resolve) => setTimeout(resolve, FLOOD_RAMP_MS))
    const before = (await bob.call<SidecarStatus>('status')).counters
    const t = performance.now()
    await injects(ROUNDS / BLOCKS, floodSamples, true)
    addRefusals(refused, before, (await bob.call<SidecarStatus>('status')).counters)
    flood.measuredSeconds += (performance.now() - t) / 1000
    const burst = await flooder.call<{ sent: number; seconds: number; reconnects: number }>('pause')
    flood.sent += burst.sent
    flood.seconds += burst.seconds
    flood.reconnects = burst.reconnects
  }
  const quiet = percentiles(quietSamples)
  const loaded = percentiles(floodSamples)

  console.log(`(2) sidecar inject round trip, ${BYTES} B each way, no-op handler: p50 ${ms(quiet.p50)}, p99 ${ms(quiet.p99)} (${quiet.n} injects)`)
  const allowed = 1.5 * raw.p50 + 1
  console.log(`    allowed p50: 1.5 × ${ms(raw.p50)} + 1 ms = ${ms(allowed)}`)
  verdict('(2) sidecar p50 / (1.5 × raw p50 + 1 ms)', quiet.p50 / allowed, 1, false)

  const perSecond = (n: number, seconds: number) => Math.round(n / seconds).toLocaleString('en-US')
  const refusedTotal = [...refused.values()].reduce((a, b) => a + b, 0)
  console.log(`(3) the same while a stranger floods bob's listener: p50 ${ms(loaded.p50)}, p99 ${ms(loaded.p99)} (${loaded.n} injects)`)
  console.log(
    `    flood: ${perSecond(flood.sent, flood.seconds)} lines/s written (target ${FLOOD_RATE.toLocaleString('en-US')}, ${flood.reconnects} reconnects); ` +
      `bob refused ${perSecond(refusedTotal, flood.measuredSeconds)} lines/s while measured: ` +
      [...refused].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${reason} ${perSecond(n, flood.measuredSeconds)}`).join(', '),
  )
  verdict('(3) flooded p99 / unloaded p99', loaded.p99 / quiet.p99, 1.2, false)

  // (4) bob's footprint with 100 friends, after every inject and the flood.
  const friends = (await bob.call<SidecarStatus>('status')).friends
  const bobAfter = await bob.call<DaemonMemory>('memory')
  const aliceAfter = await alice.call<DaemonMemory>('memory')
  console.log(`(4) bob, ${friends} friends: at start-up ${memory(bobAtStart)}; after the traffic ${memory(bobAfter)}`)
  console.log(`    alice, 1 friend, after the traffic: ${memory(aliceAfter)}`)
  absolute(`(4) daemon RSS, ${friends} friends`, bobAfter.rss / 1e6, 150, 'MB')
} finally {
  await Promise.all(children.map((c) => c.stop()))
  await net.close()
  rmSync(root, { recursive: true, force: true })
}

/** Add the lines refused between two counter snapshots, by reason (each flood line lands in exactly one). */
function addRefusals(into: Map<string, number>, before: Record<string, number>, after: Record<string, number>): void {
  for (const [reason, n] of Object.entries(after)) {
    const more = n - (before[reason] ?? 0)
    if (!reason.startsWith('ACCEPTED_') && more > 0) into.set(reason, (into.get(reason) ?? 0) + more)
  }
}

function memory(m: DaemonMemory): string {
  return `RSS ${(m.rss / 1e6).toFixed(1)} MB (live JS heap ${(m.liveHeap / 1e6).toFixed(1)} MB)`
}
