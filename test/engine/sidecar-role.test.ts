// The production sidecar role end to end, in one process, against the real engine
// (src/sidecar/role.ts): two roles on a local testnet behind one docker-proxy role pinned to
// the sandbox image, each with its own WOPR double, a model double behind the gateway.
// Friendship through the lines, a log bridged to WOPR normalised by the sandbox, inject
// refused before a grant and run in the sandbox after it, status of each part, a role with
// no pinned image failing closed, and a role whose WOPR appears only later. The tests share
// the roles and run in order.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type Docker from 'dockerode'
import type { DockerProxyRole } from '../../src/docker-proxy/role.ts'
import { SANDBOX_LABEL_KEY } from '../../src/docker-proxy/sandbox-policy.ts'
import { WoprP2PError } from '../../src/reasons.ts'
import type { SidecarStatus } from '../../src/sidecar/operations.ts'
import { woprSafeSessionName } from '../../src/wire/friend-lines.ts'
import { startModelDouble, type ModelDouble } from '../doubles/model-double.ts'
import type { WoprDouble } from '../doubles/wopr-double.ts'
import { befriend, RoleRig, startPinnedProxy } from '../support/role-rig.ts'
import { connectEngine } from '../support/sandbox-engine.ts'
import { sandboxImage } from '../support/sandbox-image.ts'
import { startNet, type TestNet } from '../support/swarm-net.ts'
import { freshPath } from '../support/temp-dirs.ts'

const test = suite('sidecar role')

/** Ours only: the proxy reaps and the teardown removes this label value, nobody else's. */
const INSTANCE = `sidecar-role-${process.pid}`
const API_KEY = 'sk-role-test-5f3c9a0e7b214d68'

let setupError: unknown
let engine: Docker
let imageId: string
let net: TestNet
let proxy: { role: DockerProxyRole; socketPath: string }
let model: ModelDouble
let keyFile: string
let alice: RoleRig
let bob: RoleRig
const rigs: RoleRig[] = []
/** The session bob files alice under: the one she sends on. */
let aliceAtBob = ''
/** Started unpinned by its test, then pinned by the next. */
let carol: RoleRig
let aliceAtCarol = ''

async function startRig(name: string, policy: Record<string, unknown>, wopr = true): Promise<RoleRig> {
  const rig = await RoleRig.start({ name, net, proxy: { socketPath: proxy.socketPath, instance: INSTANCE }, policy, wopr })
  rigs.push(rig)
  return rig
}

/** A role whose sandbox runs the pinned image; with `withModel`, injects reach the model double. */
function sandboxed(withModel: boolean, poolSize: number): Record<string, unknown> {
  return { sandbox: { image: imageId, poolSize }, ...(withModel ? { model: { endpoint: model.url, model: 'double-1', apiKeyFile: keyFile } } : {}) }
}

async function ourContainers(): Promise<Docker.ContainerInfo[]> {
  return engine.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL_KEY}=${INSTANCE}`] } })
}

/** Polls `check`; the bound is a hang guard, not an assertion about speed. */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`never happened: ${what}`)
}

function woprSessionOf(double: WoprDouble | null, displaySession: string): string[] {
  return double!.conversation(woprSafeSessionName(displaySession)).map((e) => String(e.content))
}

test.before(async () => {
  try {
    engine = await connectEngine()
    imageId = await sandboxImage()
    net = await startNet()
    proxy = await startPinnedProxy(imageId, INSTANCE)
    model = await startModelDouble({ apiKey: API_KEY })
    const modelDir = freshPath('model')
    mkdirSync(modelDir, { mode: 0o700 })
    keyFile = join(modelDir, 'api-key')
    writeFileSync(keyFile, `${API_KEY}\n`, { mode: 0o600 })
    alice = await startRig('alice', sandboxed(true, 0))
    bob = await startRig('bob', sandboxed(true, 1))
  } catch (e) {
    setupError = e
  }
})

test.after(async () => {
  await Promise.all(rigs.map((r) => r.stop()))
  await proxy?.role.stop()
  await model?.close()
  await net?.close()
  if (engine) for (const c of await ourContainers()) await engine.getContainer(c.Id).remove({ force: true })
})

test('friendship alice↔bob through the request, accept and complete lines', () => {
  if (setupError) throw setupError
  const request = alice.ops.friendRequest('bob')
  assert.match(request.line, /^FRIEND_REQUEST /)
  const accepted = bob.ops.friendAccept(request.line)
  assert.is(accepted.name, 'alice')
  const completed = alice.ops.friendComplete(accepted.line)
  const bobStatus = bob.ops.status()
  assert.equal([completed.name, completed.shortId, completed.fingerprint], ['bob', bobStatus.shortId, bobStatus.fingerprint])
  aliceAtBob = accepted.session
  assert.is(alice.ops.status().ourSessionAtFriends, aliceAtBob)
  assert.equal(
    bob.ops.friendList().map((f) => [f.name, f.grants]),
    [['alice', { [aliceAtBob]: ['message'] }]],
  )
})

test("a log is acknowledged and lands once in bob's WOPR, in alice's session, from p2p:<alice key>, normalised by the sandbox", async () => {
  if (setupError) throw setupError
  assert.equal(await alice.ops.log('bob', aliceAtBob, 'hello\u0007 bob'), { reply: 'ack' })
  await until('bob’s outbox delivers the log', () => bob.ops.status().outbox?.delivered === 1)
  const session = woprSafeSessionName(aliceAtBob)
  assert.equal(
    bob.double!.conversation(session).map((e) => [e.from, e.content]),
    [[`p2p:${alice.signPub}`, 'hello bob']],
  )
  // Exactly one write reached WOPR: no retry, no read-back, no other session.
  assert.equal(
    bob.double!.requests.filter((r) => r.method === 'POST').map((r) => [r.path, r.status]),
    [[`/sessions/${session}/log`, 200]],
  )
})

test('inject before any grant is refused `unauthorized` and never reaches the model', async () => {
  if (setupError) throw setupError
  const err = await alice.ops.inject('bob', aliceAtBob, 'run: echo too early').catch((e: unknown) => e)
  assert.instance(err, WoprP2PError)
  assert.is((err as WoprP2PError).code, 'SIDECAR_PEER_REFUSED')
  assert.match((err as Error).message, /bob refused: unauthorized$/)
  assert.is(model.requests.length, 0, 'a message-only friend caused a model call')
  assert.equal(woprSessionOf(bob.double, aliceAtBob), ['hello bob'], 'a refused inject is not logged')
})

test('after `grant inject` a tool call runs in the sandbox; WOPR gets request and response; the key stays outside', async () => {
  if (setupError) throw setupError
  bob.ops.grant('alice', 'inject')
  const answer = await alice.ops.inject('bob', aliceAtBob, 'run: echo hello-from-sandbox')
  assert.is(answer.reply, 'response')
  const text = (answer as { text: string }).text
  assert.match(text, /hello-from-sandbox/)
  await until('bob’s outbox delivers request and response', () => bob.ops.status().outbox?.delivered === 3)
  assert.equal(woprSessionOf(bob.double, aliceAtBob), ['hello bob', 'run: echo hello-from-sandbox', text])

  assert.is(model.requests.length, 2, 'one tool call, one answer')
  assert.ok(model.requests.every((r) => r.authorization === `Bearer ${API_KEY}` && r.model === 'double-1'))
  // Bob's warm pool member was made by the same path as the one that ran the turn; a finished one may vanish as we look.
  const configs = await Promise.all(
    (await ourContainers()).map((c) =>
      engine
        .getContainer(c.Id)
        .inspect()
        .then(
          (i) => i.Config,
          (e: { statusCode?: number }) => (e.statusCode === 404 ? null : Promise.reject(e)),
        ),
    ),
  )
  const live = configs.filter((c) => c !== null)
  assert.ok(live.length > 0, 'a sandbox to inspect')
  for (const c of live) assert.not.ok(JSON.stringify([c.Env, c.Cmd, c.Entrypoint, c.Labels]).includes(API_KEY), 'the API key reached a sandbox')
})

test("bob's status (the CLI through the control socket): sandbox ready on the pinned image with a model, WOPR reachable, counters", async () => {
  if (setupError) throw setupError
  const s = await bob.cliJson<SidecarStatus>('status')
  assert.is(s.handler, 'sandbox')
  assert.ok(s.sandbox?.state === 'ready', JSON.stringify(s.sandbox))
  assert.equal([s.sandbox.image, s.sandbox.model, s.sandbox.counters.OK_LOG, s.sandbox.counters.OK_INJECT], [imageId, true, 1, 1])
  assert.equal([s.outbox?.reachable, s.outbox?.pending, s.outbox?.delivered], [true, 0, 3])
  assert.is(s.counters.ADMIT_UNAUTHORIZED, 1)
  assert.ok((s.counters.ACCEPTED_LOG ?? 0) >= 1 && (s.counters.ACCEPTED_INJECT ?? 0) >= 1, JSON.stringify(s.counters))
  assert.is(s.rotationSchedule?.enabled, true)
})

test("a role with no pinned image starts, says SANDBOX_NO_IMAGE, and refuses a peer's log", async () => {
  if (setupError) throw setupError
  carol = await startRig('carol', {})
  const sandbox = carol.ops.status().sandbox
  assert.ok(sandbox?.state === 'unavailable', JSON.stringify(sandbox))
  assert.is(sandbox.reason, 'SANDBOX_NO_IMAGE')
  assert.match(sandbox.detail, /sandbox pin/)
  aliceAtCarol = befriend(alice, carol)
  const err = await alice.ops.log('carol', aliceAtCarol, 'is anyone there?').catch((e: unknown) => e)
  assert.instance(err, WoprP2PError)
  assert.match((err as Error).message, /carol refused: SANDBOX_NO_IMAGE$/)
  assert.equal([carol.ops.status().outbox?.pending, carol.double!.requests.length], [0, 0], 'nothing was bridged to WOPR')
})

test('pinning the image in the running policy makes the sandbox ready; the next log is handled and bridged', async () => {
  if (setupError) throw setupError
  carol.editPolicy('sandbox', { image: imageId, poolSize: 0 })
  await until('carol’s sandbox is rebuilt from the reloaded policy', () => carol.ops.status().sandbox?.state === 'ready')
  assert.equal(await alice.ops.log('carol', aliceAtCarol, 'now?'), { reply: 'ack' })
  await until('carol’s outbox delivers the log', () => carol.ops.status().outbox?.delivered === 1)
  assert.equal(woprSessionOf(carol.double, aliceAtCarol), ['now?'])
})

test('a role without WOPR starts, keeps a delivered log in its outbox, and delivers it once WOPR appears', async () => {
  if (setupError) throw setupError
  const dave = await startRig('dave', sandboxed(false, 0), false)
  // null, not false, until the outbox first asks WOPR: for an entry, or at its first idle probe.
  assert.not.ok(dave.ops.status().outbox?.reachable, 'WOPR is not reported reachable')
  const session = befriend(alice, dave)
  assert.equal(await alice.ops.log('dave', session, 'wait for me'), { reply: 'ack' })
  await until('dave’s outbox has tried WOPR', () => dave.ops.status().outbox?.reachable === false)
  const waiting = dave.ops.status().outbox!
  assert.equal([waiting.pending, waiting.delivered, waiting.lastError?.reason], [1, 0, 'WOPR_UNREACHABLE'])

  const double = await dave.startWopr()
  await until('dave’s outbox delivers once WOPR is there', () => dave.ops.status().outbox?.pending === 0)
  assert.equal(
    double.conversation(woprSafeSessionName(session)).map((e) => [e.from, e.content]),
    [[`p2p:${alice.signPub}`, 'wait for me']],
  )
  assert.equal([dave.ops.status().outbox?.reachable, dave.ops.status().outbox?.delivered], [true, 1])
})

test('stopping the roles leaves no sandbox of this instance on the engine', async () => {
  if (setupError) throw setupError
  for (const r of rigs) await r.stop()
  assert.equal(await ourContainers(), [])
})

test.run()
