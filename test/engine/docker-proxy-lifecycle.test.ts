// A sandbox's whole life through the proxy with dockerode, as the sidecar will do it
// (DESIGN.md "The narrowed Docker proxy", "The sandbox"): create → attach → start →
// wait → remove, with the hardening confirmed by inspect on the real engine; plus
// kill, the container cap, an unreachable engine, the socket mode and the audit trail.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { statSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import type Docker from 'dockerode'
import { ATTACH_OPTIONS, buildCreateBody, createThroughProxy, removeLabelled } from '../support/engine-fixtures.ts'
import { connectEngine, startTestProxy, type EngineEnv, type TestProxy } from '../support/engine-harness.ts'
import { exchangeRaw, readResponses } from '../support/engine-http.ts'

const test = suite('a sandbox through the proxy')

let env: EngineEnv
let px: TestProxy
let setupError: unknown

test.before(async () => {
  try {
    env = await connectEngine()
    px = await startTestProxy({ policy: env.policy })
  } catch (e) {
    setupError = e
  }
})

test.after(async () => {
  if (env) await removeLabelled(env.engine)
  if (px) await px.close()
})

/** Collect demultiplexed stdout and stderr until the engine closes the attach stream. */
function collect(docker: Docker, stream: NodeJS.ReadWriteStream): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough()
  const err = new PassThrough()
  let stdout = ''
  let stderr = ''
  out.on('data', (d: Buffer) => (stdout += d.toString()))
  err.on('data', (d: Buffer) => (stderr += d.toString()))
  docker.modem.demuxStream(stream, out, err)
  return new Promise((resolve) => stream.on('end', () => resolve({ stdout, stderr })))
}

test('create → attach → start → wait → remove runs a hardened sandbox', async () => {
  if (setupError) throw setupError
  const script = 'read line; echo "got:$line"; id -u; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; cat /proc/net/dev | tail -n +3 | cut -d: -f1; echo oops >&2'
  const container = await createThroughProxy(px.docker, buildCreateBody(env.policy, ['sh', '-c', script]))
  assert.ok(px.proxy.owned.has(container.id))

  const stream = await container.attach(ATTACH_OPTIONS)
  const output = collect(px.docker, stream)
  await container.start()
  stream.end('hello\n')
  const { stdout, stderr } = await output
  const exit = (await container.wait()) as { StatusCode: number }
  assert.is(exit.StatusCode, 0)
  assert.match(stdout, /^got:hello\n65534\n/)
  assert.match(stdout, /CapEff:\s+0{16}\n/)
  assert.match(stdout, /NoNewPrivs:\s+1\n/)
  assert.match(stdout, /Seccomp:\s+2\n/)
  assert.equal(stdout.split('\n').slice(-2, -1).map((s) => s.trim()), ['lo'])
  assert.is(stderr, 'oops\n')

  const seen = await env.engine.getContainer(container.id).inspect()
  const h = seen.HostConfig as Docker.HostConfig & { NanoCpus: number; SecurityOpt: string[] }
  assert.is(h.NetworkMode, 'none')
  assert.is(h.ReadonlyRootfs, true)
  assert.equal(h.CapDrop, ['ALL'])
  assert.equal(h.CapAdd ?? null, null)
  assert.is(h.Privileged, false)
  assert.equal(h.Binds ?? null, null)
  assert.is(h.PidsLimit, env.policy.maxPids)
  assert.is(h.Memory, env.policy.maxMemory)
  assert.is(h.MemorySwap, env.policy.maxMemory)
  assert.is(h.NanoCpus, env.policy.maxNanoCpus)
  assert.equal(h.SecurityOpt, ['no-new-privileges', `seccomp=${env.policy.seccompProfile}`])
  assert.is(seen.Config.User, '65534:65534')
  assert.is(seen.Config.Image, env.imageId)
  assert.is(seen.Config.Labels[env.policy.label.key], env.policy.label.value)
  assert.equal(seen.Mounts, [])

  await container.remove()
  assert.not.ok(px.proxy.owned.has(container.id))
  assert.is((await env.engine.listContainers({ all: true, filters: { id: [container.id] } })).length, 0)
})

test('kill stops a running sandbox', async () => {
  if (setupError) throw setupError
  const container = await createThroughProxy(px.docker, buildCreateBody(env.policy, ['sleep', '30']))
  await container.start()
  assert.is((await container.inspect()).State.Running, true)
  await container.kill()
  const exit = (await container.wait()) as { StatusCode: number }
  assert.is(exit.StatusCode, 137)
  await container.remove({ force: true })
})

test('an engine refusal of a create passes through and records no container', async () => {
  if (setupError) throw setupError
  const body = buildCreateBody(env.policy) as { HostConfig: Record<string, unknown> }
  // Within policy, below the engine's own 6 MiB minimum: the engine answers 400.
  body.HostConfig.Memory = body.HostConfig.MemorySwap = 1024 * 1024
  const before = px.proxy.owned.size
  const refused = await createThroughProxy(px.docker, body).then(
    () => undefined,
    (e: { statusCode?: number; json?: { message?: string } }) => e,
  )
  assert.is(refused?.statusCode, 400)
  assert.match(refused?.json?.message ?? '', /memory/i)
  assert.is(px.proxy.owned.size, before)
})

test('the proxy holds at most maxContainers, and a removal frees a slot', async () => {
  if (setupError) throw setupError
  const small = await startTestProxy({ policy: env.policy, maxContainers: 2 })
  try {
    const body = buildCreateBody(env.policy)
    const first = await createThroughProxy(small.docker, body)
    await createThroughProxy(small.docker, body)
    const refused = await createThroughProxy(small.docker, body).then(
      () => undefined,
      (e: { statusCode?: number; json?: { reason?: string } }) => e,
    )
    assert.is(refused?.statusCode, 403)
    assert.is(refused?.json?.reason, 'PROXY_CONTAINER_LIMIT')
    await first.remove()
    await createThroughProxy(small.docker, body)
  } finally {
    await small.close()
    await removeLabelled(env.engine)
  }
})

test('an unreachable engine is a 502 with a reason, never a hang', async () => {
  if (setupError) throw setupError
  const broken = await startTestProxy({ policy: env.policy, enginePath: '/nonexistent/docker.sock' })
  try {
    const [res] = readResponses(await exchangeRaw(broken.socketPath, Buffer.from('GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n'), 5000))
    assert.is(res?.status, 502)
    assert.is((JSON.parse(res?.body.toString() ?? '') as { reason: string }).reason, 'PROXY_ENGINE_UNREACHABLE')
    assert.is(broken.audit.at(-1)?.verdict, 'error')
  } finally {
    await broken.close()
  }
})

test('the socket is owner-only and every request leaves one audit line', async () => {
  if (setupError) throw setupError
  assert.is(statSync(px.socketPath).mode & 0o777, 0o600)
  const before = px.audit.length
  await px.docker.ping()
  await px.docker.listContainers().catch(() => undefined)
  const lines = px.audit.slice(before)
  assert.is(lines.length, 2)
  assert.equal(
    lines.map((l) => [l.method, l.path, l.verdict, l.reason ?? null, l.status]),
    [
      ['GET', '/v1.41/_ping', 'allow', null, 200],
      ['GET', '/v1.41/containers/json', 'refuse', 'PROXY_METHOD_DENIED', 403],
    ],
  )
  assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l.time))))
})

test.run()
