// A sidecar in its own process for the sandbox bench's memory target: the real daemon (on a
// local testnet) with the real sandbox handler behind the parent's proxy, so its RSS is what
// an operator's sidecar process holds, not the bench process with its proxy and model double.
// argv[2]: SandboxSidecarConfig.

import { createModelGateway } from '../../src/model/gateway.ts'
import { freezePolicy, policySchema } from '../../src/policy/schema.ts'
import { startSandboxHandler } from '../../src/sandbox/handler.ts'
import { startSidecar } from '../../src/sidecar/sidecar.ts'
import type { HandledMessage } from '../../src/swarm/listener.ts'
import type { DhtNodeAddress } from '../../src/swarm/swarm.ts'
import { joinNet } from '../../test/support/swarm-net.ts'
import { answerParent } from './ipc.ts'

export interface SandboxSidecarConfig {
  bootstrap: DhtNodeAddress[]
  dataDir: string
  proxySocket: string
  imageId: string
  seccompProfile: string
  instance: string
  modelUrl: string
}

const config = JSON.parse(process.argv[2]!) as SandboxSidecarConfig
const policy = freezePolicy(policySchema.parse({ sandbox: { image: config.imageId, poolSize: 0, concurrency: 4 }, model: { endpoint: config.modelUrl, model: 'double' } }))
const handler = await startSandboxHandler({
  dockerSocket: config.proxySocket,
  policy,
  seccompProfile: config.seccompProfile,
  instance: config.instance,
  model: await createModelGateway(policy.model),
})
const sidecar = await startSidecar({ dataDir: config.dataDir, name: 'bench', policy, handler, swarm: joinNet(config.bootstrap).config })

answerParent(
  {
    /** `count` inject turns at once, each running a tool that sleeps; the peak RSS while they run. */
    load: async (a: { count: number; seconds: number }) => {
      let peak = process.memoryUsage().rss
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
      try {
        const results = await Promise.all(
          Array.from({ length: a.count }, (_, i) => {
            const session = `bench-${i}`
            const peer = { id: `peer-${i}`, encryptPub: 'unused', encryptPublicRaw: Buffer.alloc(32), sessions: new Map([[session, new Set(['message', 'inject'] as const)]]), previousGraceEnds: [] }
            const job: HandledMessage = { kind: 'inject', peer, session, text: `run: sleep ${a.seconds}`, requestId: `r${i}`, version: 2 }
            return handler.handle(job)
          }),
        )
        const refused = results.find((r) => !r.ok)
        if (refused && !refused.ok) throw new Error(`a sandbox job was refused: ${refused.reason}`)
      } finally {
        clearInterval(sampler)
      }
      return peak
    },
  },
  async () => {
    await sidecar.close()
    await handler.close()
  },
)
