// A sidecar daemon in its own process for the swarm bench, started through startSidecar
// with a no-op handler (bench-only: production never runs a non-sandbox handler) that
// answers at once with the text it got, so a round trip measures the daemon, not an agent.
// Its clock is the wall clock plus an offset the bench moves (see bench/swarm.ts for why).
// argv[2]: { bootstrap, dataDir, name }.

import { createLogger } from '../../src/log/logger.ts'
import type { Capability } from '../../src/friends/model.ts'
import { freezePolicy, policySchema } from '../../src/policy/schema.ts'
import { startSidecar } from '../../src/sidecar/sidecar.ts'
import type { DhtNodeAddress } from '../../src/swarm/swarm.ts'
import { joinNet } from '../../test/support/swarm-net.ts'
import { answerParent } from './ipc.ts'

export interface SidecarNodeConfig {
  bootstrap: DhtNodeAddress[]
  dataDir: string
  name: string
}

export interface DaemonMemory {
  rss: number
  liveHeap: number
}

const config = JSON.parse(process.argv[2]!) as SidecarNodeConfig
let offset = 0
const sidecar = await startSidecar({
  dataDir: config.dataDir,
  name: config.name,
  policy: freezePolicy(policySchema.parse({})),
  swarm: joinNet(config.bootstrap).config,
  now: () => Date.now() + offset,
  log: createLogger({ role: `bench-${config.name}`, level: 'error' }),
  handler: { handle: async (a) => ({ ok: true, text: a.text }) },
})
const { ops } = sidecar

answerParent(
  {
    status: () => ops.status(),
    friendRequest: (a: { name: string }) => ops.friendRequest(a.name),
    friendAccept: (a: { line: string }) => ops.friendAccept(a.line),
    friendComplete: (a: { line: string }) => ops.friendComplete(a.line),
    grant: (a: { peer: string; cap: Capability }) => ops.grant(a.peer, a.cap),
    /** Move this daemon's clock; answers the new offset. */
    advance: (a: { ms: number }) => (offset += a.ms),
    /** Move the clock, then one inject timed from the call to its opened response (ms). */
    inject: async (a: { peer: string; session: string; text: string; advanceMs: number }) => {
      offset += a.advanceMs
      const t = performance.now()
      const out = await ops.inject(a.peer, a.session, a.text)
      const took = performance.now() - t
      if (out.reply !== 'response' || out.text !== a.text) throw new Error('the inject did not come back with its own text')
      return took
    },
    /** RSS as the operator sees it; then the heap still live after a full collection (needs --expose-gc). */
    memory: (): DaemonMemory => {
      const rss = process.memoryUsage().rss
      ;(globalThis as { gc?: () => void }).gc?.()
      return { rss, liveHeap: process.memoryUsage().heapUsed }
    },
  },
  () => sidecar.close(),
)
