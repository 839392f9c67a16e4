// The sidecar's sandbox handler against the real engine through the real narrowed
// proxy (issue #4 "The sidecar's sandbox handler", "Proof inside real containers"):
// log and inject round trips, the model double behind the gateway, the walls acting
// through the handler, the warm pool, the busy refusal, and nothing left behind.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { sandboxPolicyFrom } from '../../src/docker-proxy/sandbox-policy.ts'
import type { PeerView } from '../../src/friends/directory.ts'
import type { Capability } from '../../src/friends/model.ts'
import { createLogger, silentLogger } from '../../src/log/logger.ts'
import { createModelGateway } from '../../src/model/gateway.ts'
import { freezePolicy, policySchema, type Policy } from '../../src/policy/schema.ts'
import { startSandboxHandler, type SandboxHandler } from '../../src/sandbox/handler.ts'
import type { HandledMessage } from '../../src/swarm/listener.ts'
import { startModelDouble, type ModelDouble } from '../doubles/model-double.ts'
import { startTestProxy, type TestProxy } from '../support/engine-harness.ts'
import { connectEngine, SECCOMP_PROFILE } from '../support/sandbox-engine.ts'
import { sandboxImage } from '../support/sandbox-image.ts'
import { MESSAGE_EXPECTED, MESSAGE_JOB, SESSION } from '../support/sandbox-workloads.ts'

const test = suite('sandbox handler through the proxy')
const INSTANCE = 'handler-test'
const LABEL = `wopr-p2p.sandbox=${INSTANCE}`
const API_KEY = 'sk-test-0123456789abcdef'

let engine: Docker
let imageId: string
let px: TestProxy
let double: ModelDouble
let keyFile: string
const handlers: SandboxHandler[] = []

function policyWith(sandbox: Record<string, unknown> = {}, model = true): Policy {
  return freezePolicy(
    policySchema.parse({
      sandbox: { image: imageId, poolSize: 0, ...sandbox },
      model: model ? { endpoint: double.url, model: 'double-1', apiKeyFile: keyFile } : {},
    }),
  )
}

async function handlerWith(sandbox: Record<string, unknown> = {}, model = true): Promise<SandboxHandler> {
  const policy = policyWith(sandbox, model)
  const gateway = model ? await createModelGateway(policy.model) : null
  const h = await startSandboxHandler({ dockerSocket: px.socketPath, policy, seccompProfile: SECCOMP_PROFILE, instance: INSTANCE, model: gateway, logger: process.env.SANDBOX_TEST_LOG ? createLogger({ role: 'test' }) : silentLogger() })
  handlers.push(h)
  return h
}

function peer(caps: Capability[], id = 'peer-alice-key'): PeerView {
  return { id, encryptPub: 'unused', encryptPublicRaw: Buffer.alloc(32), sessions: new Map([[SESSION, new Set(caps)]]), previousGraceEnds: [] }
}

function log(text: string, from = peer(['message', 'inject'])): HandledMessage {
  return { kind: 'log', peer: from, session: SESSION, text, version: 2 }
}

function inject(text: string, from = peer(['message', 'inject']), session = SESSION): HandledMessage {
  return { kind: 'inject', peer: from, session, text, requestId: `r-${text.length}`, version: 2 }
}

async function ours(): Promise<Docker.ContainerInfo[]> {
  return engine.listContainers({ all: true, filters: { label: [LABEL] } })
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`never happened: ${what}`)
}

test.before(async () => {
  engine = await connectEngine()
  imageId = await sandboxImage()
  for (const c of await ours()) await engine.getContainer(c.Id).remove({ force: true })
  double = await startModelDouble({ apiKey: API_KEY })
  const dir = mkdtempSync(join(tmpdir(), 'wopr-model-'))
  keyFile = join(dir, 'api-key')
  writeFileSync(keyFile, `${API_KEY}\n`, { mode: 0o600 })
  const sandbox = policyWith().sandbox
  px = await startTestProxy({ policy: sandboxPolicyFrom(sandbox, SECCOMP_PROFILE, INSTANCE) })
})

test.after.each(async () => {
  await Promise.all(handlers.splice(0).map((h) => h.close()))
  assert.equal(await ours(), [], 'a sandbox container outlived its handler')
  double.requests.length = 0
})

test.after(async () => {
  await px?.close()
  await double?.close()
})

test('a log job comes back normalised and never reaches the model', async () => {
  const h = await handlerWith()
  const r = await h.handle(log(MESSAGE_JOB.text))
  assert.equal(r, { ok: true, text: MESSAGE_EXPECTED })
  assert.is(double.requests.length, 0)
  assert.is(h.status().counters.OK_LOG, 1)
})

test('an inject runs a tool call from the model inside the sandbox; the key stays outside', async () => {
  const h = await handlerWith()
  const r = await h.handle(inject('run: id -u; env; cat /proc/1/cmdline | tr "\\0" " "'))
  assert.ok(r.ok, JSON.stringify(r))
  const text = (r as { text: string }).text
  assert.match(text, /^exit status 0\n65534\n/)
  assert.not.ok(text.includes(API_KEY), 'the API key reached the sandbox')
  assert.is(double.requests.length, 2)
  assert.ok(double.requests.every((q) => q.authorization === `Bearer ${API_KEY}` && q.model === 'double-1'))
  const first = double.requests[0]!
  assert.is(first.messages[0]!.role, 'system')
  assert.is(first.messages[0]!.content, policyWith().sessions.defaultSystemPrompt)
  assert.equal(first.tools?.length, 1)
})

test('an inject sees the session transcript of earlier turns', async () => {
  const h = await handlerWith()
  assert.equal(await h.handle(inject('first words')), { ok: true, text: 'echo: first words' })
  assert.equal(await h.handle(inject('second words')), { ok: true, text: 'echo: second words' })
  const contents = double.requests[1]!.messages.map((m) => `${m.role}:${m.content}`)
  assert.equal(contents.slice(1), ['user:first words', 'assistant:echo: first words', 'user:second words'])
})

test('a message-only friend can never cause a model call', async () => {
  const h = await handlerWith()
  const friend = peer(['message'])
  assert.equal(await h.handle(inject('run: echo should not run', friend)), { ok: false, reason: 'ADMIT_UNAUTHORIZED' })
  assert.equal(await h.handle(log('run: echo just a log', friend)), { ok: true, text: 'run: echo just a log' })
  assert.is(double.requests.length, 0)
})

test('without a model, inject is refused and logs still work', async () => {
  const h = await handlerWith({}, false)
  assert.equal(await h.handle(inject('hello')), { ok: false, reason: 'MODEL_NOT_CONFIGURED' })
  assert.equal(await h.handle(log('hello')), { ok: true, text: 'hello' })
  assert.is(double.requests.length, 0)
})

test('no pinned image: the handler refuses to start', async () => {
  const policy = freezePolicy(policySchema.parse({}))
  const err = await startSandboxHandler({ dockerSocket: px.socketPath, policy, seccompProfile: SECCOMP_PROFILE }).catch((e: unknown) => e)
  assert.is((err as { code?: string }).code, 'SANDBOX_NO_IMAGE')
})

test('the warm pool serves a job from an already-started container and refills', async () => {
  const h = await handlerWith({ poolSize: 1 })
  await until('the pool is ready', () => h.status().pool.ready === 1)
  const [warm] = await ours()
  assert.is(warm?.State, 'running')
  assert.equal(await h.handle(log('warm hello')), { ok: true, text: 'warm hello' })
  assert.is(h.status().pool.warmServed, 1)
  assert.is(h.status().pool.coldServed, 0)
  await until('the used container is gone and a fresh one is ready', async () => {
    const now = await ours()
    return h.status().pool.ready === 1 && now.length === 1 && now[0]!.Id !== warm!.Id && now[0]!.State === 'running'
  })
})

test('a full queue refuses with busy instead of growing', async () => {
  const h = await handlerWith({ concurrency: 1, queue: { perSession: 1, total: 1 } })
  const running = h.handle(inject('run: sleep 1; echo slept'))
  const queued = h.handle(inject('queued words'))
  assert.equal(await h.handle(inject('one too many')), { ok: false, reason: 'SANDBOX_BUSY' })
  assert.equal(await h.handle(inject('other session', peer(['inject']), 'other')), { ok: false, reason: 'ADMIT_UNAUTHORIZED' })
  assert.is(h.status().running, 1)
  assert.is(h.status().queued, 1)
  assert.equal(await running, { ok: true, text: 'exit status 0\nslept\n' })
  assert.equal(await queued, { ok: true, text: 'echo: queued words' })
  assert.is(h.status().counters.SANDBOX_BUSY, 1)
})

test('a retired handler (replaced on a policy reload) finishes its running and queued jobs, then closes', async () => {
  const h = await handlerWith({ concurrency: 1, queue: { perSession: 2, total: 2 } })
  const running = h.handle(inject('run: sleep 1; echo still here'))
  const queued = h.handle(inject('waiting its turn'))
  await h.retire()
  assert.equal(await running, { ok: true, text: 'exit status 0\nstill here\n' })
  assert.equal(await queued, { ok: true, text: 'echo: waiting its turn' })
  assert.equal(await h.handle(log('after')), { ok: false, reason: 'SANDBOX_CLOSED' })
})

// The walls: each one acts, the peer gets a clean reason, and the next job still runs.
const WALLS = { timeoutSeconds: 6, shell: { timeoutSeconds: 30 } }

test('a CPU burner is killed at the wall-clock limit; the handler carries on', async () => {
  const h = await handlerWith(WALLS)
  assert.equal(await h.handle(inject('run: while :; do :; done')), { ok: false, reason: 'SANDBOX_TIMEOUT' })
  assert.equal(await h.handle(log('still here')), { ok: true, text: 'still here' })
})

test('a memory hog is OOM-killed and reported as such; the handler carries on', async () => {
  const h = await handlerWith(WALLS)
  const hog = `run: node -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))'`
  assert.equal(await h.handle(inject(hog)), { ok: false, reason: 'SANDBOX_OOM' })
  assert.equal(await h.handle(log('still here')), { ok: true, text: 'still here' })
})

test('a fork bomb is held by the pids limit and ended by the wall clock; the handler carries on', async () => {
  const h = await handlerWith(WALLS)
  const r = await h.handle(inject('run: exec 2>/dev/null; bomb() { bomb | bomb & }; bomb; while :; do sleep 1; done'))
  assert.equal(r, { ok: false, reason: 'SANDBOX_TIMEOUT' })
  assert.equal(await h.handle(log('still here')), { ok: true, text: 'still here' })
})

test.run()
