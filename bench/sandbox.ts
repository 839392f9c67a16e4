// Sandbox job latency (issue #4 "Benchmark"): the floor is create+start+wait+remove
// of the same image with the same flags straight on the engine socket; then a no-op
// log job through proxy + handler, cold (pool 0) and warm (pool ≥ 1), as ratios to it;
// the proxy's overhead per API call; a sidecar process's RSS while 4 sandboxes run.

import http from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { sandboxPolicyFrom } from '../src/docker-proxy/sandbox-policy.ts'
import { startDockerProxy } from '../src/docker-proxy/server.ts'
import { createModelGateway } from '../src/model/gateway.ts'
import { freezePolicy, policySchema, type Policy } from '../src/policy/schema.ts'
import { startSandboxHandler, type SandboxHandler } from '../src/sandbox/handler.ts'
import { buildCreateBody } from '../src/sandbox/host-config.ts'
import type { HandledMessage } from '../src/swarm/listener.ts'
import { startModelDouble } from '../test/doubles/model-double.ts'
import { ENGINE_SOCKET, SECCOMP_PROFILE } from '../test/support/sandbox-engine.ts'
import { sandboxImage } from '../test/support/sandbox-image.ts'
import { startNet } from '../test/support/swarm-net.ts'
import { absolute, header, verdict } from './_shared.ts'
import { BenchChild } from './support/ipc.ts'
import type { SandboxSidecarConfig } from './support/sandbox-sidecar.ts'

const RUNS = 30
const INSTANCE = 'bench'
const SESSION = 'bench-session'

header('sandbox: job latency through proxy + handler vs the bare engine')
const imageId = await sandboxImage()
const engine = new Docker({ socketPath: ENGINE_SOCKET })

function policyWith(sandbox: Record<string, unknown>, model: Record<string, unknown> = {}): Policy {
  return freezePolicy(policySchema.parse({ sandbox: { image: imageId, ...sandbox }, model }))
}
const base = policyWith({})
const sandboxPolicy = sandboxPolicyFrom(base.sandbox, SECCOMP_PROFILE, INSTANCE)

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
async function timed(n: number, op: () => Promise<void>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await op()
    out.push(performance.now() - t)
  }
  return out
}

// Floor: the same hardened body, stdin not attached, so the runner reads EOF, answers and exits.
const floorBody = { ...buildCreateBody(sandboxPolicy), AttachStdin: false, OpenStdin: false, StdinOnce: false }
const floor = p50(
  await timed(RUNS, async () => {
    const c = await engine.createContainer({ _query: {}, _body: floorBody } as unknown as Docker.ContainerCreateOptions)
    await c.start()
    await c.wait()
    // 409: another suite's reaper (label key only) got there first; the cost was still paid.
    await c.remove({ force: true }).catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 409 && e.statusCode !== 404) throw e
    })
  }),
)
console.log(`floor (create+start+wait+remove on the engine) p50: ${floor.toFixed(1)} ms`)

const dir = mkdtempSync(join(tmpdir(), 'wopr-bench-proxy-'))
const proxySocket = join(dir, 'docker.sock')
const proxy = await startDockerProxy({ listenPath: proxySocket, enginePath: ENGINE_SOCKET, policy: sandboxPolicy, audit: () => undefined })

const peer = { id: 'bench-peer', encryptPub: 'unused', encryptPublicRaw: Buffer.alloc(32), sessions: new Map([[SESSION, new Set(['message', 'inject'] as const)]]), previousGraceEnds: [] }
const noop: HandledMessage = { kind: 'log', peer, session: SESSION, text: 'noop', version: 2 }

async function handler(policy: Policy, model: Awaited<ReturnType<typeof createModelGateway>> = null): Promise<SandboxHandler> {
  return startSandboxHandler({ dockerSocket: proxySocket, policy, seccompProfile: SECCOMP_PROFILE, instance: INSTANCE, model })
}

async function expectOk(h: SandboxHandler, m: HandledMessage): Promise<void> {
  const r = await h.handle(m)
  if (!r.ok) throw new Error(`bench job refused: ${r.reason}`)
}

const cold = await handler(policyWith({ poolSize: 0 }))
const coldP50 = p50(await timed(RUNS, () => expectOk(cold, noop)))
await cold.close()

const warm = await handler(policyWith({ poolSize: 2 }))
const warmTimes: number[] = []
for (let i = 0; i < RUNS; i++) {
  // Only jobs the pool could serve are timed: wait (untimed) for it to refill.
  while (warm.status().pool.ready < 1) await new Promise((r) => setTimeout(r, 5))
  warmTimes.push(...(await timed(1, () => expectOk(warm, noop))))
}
const warmServed = warm.status().pool.warmServed
await warm.close()
console.log(`cold job p50: ${coldP50.toFixed(1)} ms · warm job p50: ${p50(warmTimes).toFixed(1)} ms (${warmServed}/${RUNS} from the pool)`)
verdict('sandbox cold job / floor', coldP50 / floor, 1.3, false)
verdict('sandbox warm job / floor', p50(warmTimes) / floor, 0.3, false)

// Proxy overhead per API call: GET /_ping on a fresh connection, through the proxy vs direct.
function ping(socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: '/v1.41/_ping', headers: { host: 'docker' }, agent: false }, (res) => {
      res.resume()
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`ping ${res.statusCode}`))))
    })
    req.on('error', reject)
  })
}
const pingRuns = 200
const direct = p50(await timed(pingRuns, () => ping(ENGINE_SOCKET)))
const proxied = p50(await timed(pingRuns, () => ping(proxySocket)))
console.log(`GET /_ping p50: direct ${direct.toFixed(2)} ms · through the proxy ${proxied.toFixed(2)} ms`)
absolute('docker proxy overhead per API call (p50)', proxied - direct, 2, 'ms')

// RSS while 4 sandboxes run: a sidecar process of its own (daemon + sandbox handler, as in
// production) runs 4 inject turns whose tool sleeps, all at once; its peak RSS is the figure.
const double = await startModelDouble()
const net = await startNet()
const sidecar = await BenchChild.start('sandbox-sidecar', new URL('./support/sandbox-sidecar.ts', import.meta.url), {
  bootstrap: [...(net.config.bootstrap ?? [])],
  dataDir: join(dir, 'sidecar'),
  proxySocket,
  imageId,
  seccompProfile: SECCOMP_PROFILE,
  instance: INSTANCE,
  modelUrl: double.url,
} satisfies SandboxSidecarConfig)
try {
  const peakRss = await sidecar.call<number>('load', { count: 4, seconds: 2 })
  absolute('sidecar RSS while 4 sandboxes run', peakRss / 1024 / 1024, 150, 'MB')
} finally {
  await sidecar.stop()
  await net.close()
  await double.close()
}

await proxy.close()
rmSync(dir, { recursive: true, force: true })
