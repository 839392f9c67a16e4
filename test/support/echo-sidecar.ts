// A sidecar daemon in its own process for the swarm tier, started through startSidecar with
// an echo handler — test-only: the production CLI role never has a non-sandbox handler.
// argv[2] is JSON: { dataDir, name, bootstrap, policy? (policy YAML values as JSON) }.
// Its clock is the wall clock plus an offset the test moves: stdin `advance <ms>` moves it,
// runs the sidecar's upkeep, and answers `advanced`. Prints `ready` once serving; closes
// and exits when stdin ends.

import { createInterface } from 'node:readline'
import { createLogger } from '../../src/log/logger.ts'
import { freezePolicy, policySchema } from '../../src/policy/schema.ts'
import { startSidecar } from '../../src/sidecar/sidecar.ts'
import type { DhtNodeAddress } from '../../src/swarm/swarm.ts'
import { joinNet } from './swarm-net.ts'

export interface EchoSidecarConfig {
  dataDir: string
  name: string
  bootstrap: DhtNodeAddress[]
  policy?: Record<string, unknown>
}

const config = JSON.parse(process.argv[2]!) as EchoSidecarConfig
let offset = 0
const sidecar = await startSidecar({
  dataDir: config.dataDir,
  name: config.name,
  policy: freezePolicy(policySchema.parse(config.policy ?? {})),
  swarm: joinNet(config.bootstrap).config,
  now: () => Date.now() + offset,
  log: createLogger({ role: `sidecar-${config.name}`, level: process.env.WOPR_P2P_LOG_LEVEL ?? 'error' }),
  handler: { handle: async (a) => ({ ok: true, text: `${config.name} got: ${a.text}` }) },
  // Short set-up and reply waits keep the refusal tests quick; a live peer answers in milliseconds.
  clientTiming: { setupMs: 3_000, backoffMs: [200], replyMs: 2_000, injectMs: 5_000 },
})
process.stdout.write('ready\n')

const lines = createInterface({ input: process.stdin })
lines.on('line', async (line) => {
  const [verb, arg] = line.split(' ')
  if (verb !== 'advance') return
  offset += Number(arg)
  await sidecar.tick()
  process.stdout.write('advanced\n')
})
lines.on('close', async () => {
  await sidecar.close()
  process.exit(0)
})
