// Two sidecars in this process on a local testnet, for what only shows from inside one:
// the recursion guard refuses an outbound inject started while a friend's inject is being
// handled, and the WOPR bridge queues each completed exchange for the friend's WOPR-safe
// session with `from` = `p2p:<peer key>`. WOPR itself is a recording stand-in.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_POLICY, freezePolicy, policySchema } from '../../src/policy/schema.ts'
import { WoprP2PError } from '../../src/reasons.ts'
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.ts'
import { openStateDir } from '../../src/store/secure-dir.ts'
import type { Handler } from '../../src/swarm/listener.ts'
import { woprSafeSessionName } from '../../src/wire/friend-lines.ts'
import type { WoprApi } from '../../src/wopr/client.ts'
import { Outbox } from '../../src/wopr/outbox.ts'
import { sleep, startNet, type TestNet } from '../support/swarm-net.ts'
import { freshPath } from '../support/temp-dirs.ts'

let net: TestNet
let alice: Sidecar
let dan: Sidecar
let outbox: Outbox
const logged: { session: string; message: string; from: string }[] = []
const wopr: WoprApi = {
  log: async (session, message, from) => {
    logged.push({ session, message, from })
  },
  conversation: async (name) => ({ name, entries: [], count: 0 }),
  health: async () => undefined,
}

/** dan's handler: `relay` tries to pass the inject on to alice, and answers with what happened. */
const relaying: Handler = {
  handle: async (a) => {
    // A log answers with its (here unchanged) text, as the sandbox answers with the normalised text.
    if (a.kind === 'log') return { ok: true, text: a.text }
    if (a.text !== 'relay') return { ok: true, text: `dan got: ${a.text}` }
    try {
      await dan.ops.inject('alice', 'anything', 'passed on')
      return { ok: true, text: 'relayed' }
    } catch (err) {
      return { ok: true, text: err instanceof WoprP2PError ? err.code : 'other error' }
    }
  },
}

test.before(async () => {
  net = await startNet()
  const danDir = freshPath('dan')
  const common = { policy: DEFAULT_POLICY, swarm: net.config, clientTiming: { setupMs: 3_000, backoffMs: [200] } }
  alice = await startSidecar({ ...common, dataDir: freshPath('alice'), name: 'alice', handler: { handle: async (a) => ({ ok: true, text: `alice got: ${a.text}` }) } })
  dan = await startSidecar({ ...common, dataDir: danDir, name: 'dan', handler: relaying, outbox: openOutbox(danDir) })
  const { line } = alice.ops.friendRequest('dan')
  alice.ops.friendComplete(dan.ops.friendAccept(line).line)
  dan.ops.grant('alice', 'inject')
})

function openOutbox(dataDir: string): Outbox {
  // The outbox lives in the sidecar's data dir, which must exist (0700) before either opens it.
  openStateDir(dataDir)
  outbox = Outbox.open({ dataDir, client: wopr, probeIntervalMs: 0 })
  outbox.start()
  return outbox
}

test.after(async () => {
  await alice?.close()
  await dan?.close()
  await outbox?.close()
  await net?.close()
})

const atDan = () => alice.ops.status().ourSessionAtFriends!

test("an outbound inject started while a friend's inject is handled is refused SIDECAR_RECURSION", async () => {
  assert.equal(await alice.ops.inject('dan', atDan(), 'relay'), { reply: 'response', text: 'SIDECAR_RECURSION' })
  // The same verb from the operator, on its own path, is not refused by the guard.
  assert.equal(await dan.ops.inject('alice', alice.ops.status().ourSessionAtFriends!, 'direct').catch((e: WoprP2PError) => e.code), 'SIDECAR_PEER_REFUSED')
})

test("each completed exchange goes to WOPR under the friend's WOPR-safe session, from p2p:<peer key>", async () => {
  logged.length = 0
  assert.equal(await alice.ops.log('dan', atDan(), 'a log line'), { reply: 'ack' })
  assert.equal(await alice.ops.inject('dan', atDan(), 'a question'), { reply: 'response', text: 'dan got: a question' })
  for (let i = 0; i < 200 && logged.length < 3; i++) await sleep(10)
  const session = woprSafeSessionName(atDan())
  const from = `p2p:${alice.identity.signPub}`
  assert.equal(logged, [
    { session, message: 'a log line', from },
    { session, message: 'a question', from },
    { session, message: 'dan got: a question', from },
  ])
})

test('friends.defaultCapabilities: [] starts a new friend with nothing; a grant then lets its log through', async () => {
  const strict = freezePolicy(policySchema.parse({ friends: { defaultCapabilities: [] } }))
  const erin = await startSidecar({ policy: strict, swarm: net.config, clientTiming: { setupMs: 3_000, backoffMs: [200] }, dataDir: freshPath('erin'), name: 'erin', handler: { handle: async (a) => ({ ok: true, text: a.text }) } })
  try {
    const { line } = alice.ops.friendRequest('erin')
    const made = erin.ops.friendAccept(line)
    alice.ops.friendComplete(made.line)
    assert.equal(erin.ops.friendList().map((f) => [f.name, f.grants]), [['alice', {}]])
    erin.ops.grant('alice', 'message')
    assert.equal(await alice.ops.log('erin', alice.ops.status().ourSessionAtFriends!, 'now granted').catch((e: WoprP2PError) => e.code), { reply: 'ack' })
  } finally {
    await erin.close()
  }
})

test.run()
