// Three sidecar daemons as separate processes on a local testnet, driven through the real
// CLI (issue 3 "Proof"): friendship through the lines, log → ack, inject → response, grant
// upgrade, immediate revoke (also on an open connection), strangers dropped, rate limits, a
// 2 MB line, single-use invites, and a key rotation whose grace runs on an injected clock.
// The tests share the daemons and run in order; rotation is last, as it moves the clocks.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readIdentity } from '../../src/identity/identity-file.ts'
import { keyHistoryFile } from '../../src/identity/key-history.ts'
import { loadIdentity, type Identity } from '../../src/identity/keys.ts'
import { topicOf } from '../../src/identity/ids.ts'
import type { FriendMade, SidecarStatus } from '../../src/sidecar/operations.ts'
import { checkReply } from '../../src/swarm/reply-check.ts'
import { SidecarProcess } from '../support/sidecar-rig.ts'
import { dialRaw, startNet, type TestNet } from '../support/swarm-net.ts'
import { rawHello, sealedLine, startClient } from '../support/swarm-rigs.ts'

let net: TestNet
let alice: SidecarProcess
let bob: SidecarProcess
let carol: SidecarProcess
/** The clock the daemons run on, as the test process sees it: moved together with theirs. */
let offset = 0
const clock = {
  get now() {
    return Date.now() + offset
  },
}
/** Alice's session on bob's side: the one bob files her under. */
let aliceAtBob = ''
let bobKey = ''
let aliceKey = ''

const GRACE_MS = 60 * 60_000

test.before(async () => {
  net = await startNet()
  ;[alice, bob, carol] = await Promise.all([
    SidecarProcess.start(net, 'alice', { rotation: { graceHours: GRACE_MS / 3_600_000 } }),
    // Tight inject limit, so the rate-limit test needs few messages.
    SidecarProcess.start(net, 'bob', { admission: { rate: { inject: { perMinute: 4 } } } }),
    SidecarProcess.start(net, 'carol'),
  ])
  aliceKey = readIdentity(alice.dataDir).signPub
  bobKey = readIdentity(bob.dataDir).signPub
})

test.after(async () => {
  await Promise.all([alice, bob, carol].map((p) => p?.stop()))
  await net?.close()
})

async function status(p: SidecarProcess): Promise<SidecarStatus> {
  return p.json<SidecarStatus>('status')
}

function counter(s: SidecarStatus, key: string): number {
  return s.counters[key] ?? 0
}

test('friendship through the lines: request, accept (message only), complete with the accepter\'s short id and fingerprint', async () => {
  const request = await alice.cli('friend', 'request', 'bob')
  assert.is(request.code, 0, request.err)
  assert.match(request.out, /^FRIEND_REQUEST /)
  const accepted = await bob.json<FriendMade & { line: string }>('friend', 'accept', request.out.trim())
  assert.is(accepted.name, 'alice')
  assert.match(accepted.line, /^FRIEND_ACCEPT /)
  const completed = await alice.json<FriendMade>('friend', 'complete', accepted.line)
  const bobStatus = await status(bob)
  assert.equal([completed.name, completed.shortId, completed.fingerprint], ['bob', bobStatus.shortId, bobStatus.fingerprint])
  aliceAtBob = (await status(alice)).ourSessionAtFriends!
  assert.is(accepted.session, aliceAtBob)
  const list = await bob.json<{ name: string; grants: Record<string, string[]> }[]>('friend', 'list')
  assert.equal(list, [{ ...list[0]!, name: 'alice', grants: { [aliceAtBob]: ['message'] } }])
  // The same line cannot complete twice: the pending request is gone.
  const again = await alice.cli('friend', 'complete', accepted.line)
  assert.is(again.code, 1)
  assert.match(again.err, /pending request/)
})

test('verbs need a running sidecar: a clear error with a hint, exit 1', async () => {
  const r = await alice.launch('--data-dir', `${alice.dataDir}-not-there`, 'status')
  assert.is(r.code, 1)
  assert.match(r.err, /cannot reach the sidecar/)
  assert.match(r.err, /hint: start it with `wopr-p2p sidecar`/)
})

test('log → ack, by friend name and by short id', async () => {
  assert.equal(await alice.json('log', 'bob', aliceAtBob, 'hello bob'), { reply: 'ack' })
  const bobShort = (await status(bob)).shortId
  const plain = await alice.cli('log', bobShort, aliceAtBob, 'again')
  assert.equal([plain.code, plain.out], [0, 'ack\n'])
  // alice's connection is reused between sends and stays open for a while: bob sees her on it.
  const aliceShort = (await status(alice)).shortId
  assert.equal((await status(bob)).connections.peers, [{ shortId: aliceShort, name: 'alice' }])
})

test("a message-only friend's inject is refused `unauthorized`; after `grant inject` it gets the response", async () => {
  // Through the launcher: the refusal reason on stderr, exit code 1.
  const refused = await alice.launch('inject', 'bob', aliceAtBob, 'ping')
  assert.is(refused.code, 1)
  assert.match(refused.err, /^wopr-p2p: bob refused: unauthorized\n/)
  const granted = await bob.cli('grant', 'alice', 'inject')
  assert.is(granted.code, 0, granted.err)
  assert.equal(await alice.json('inject', 'bob', aliceAtBob, 'ping'), { reply: 'response', text: 'bob got: ping' })
})

test('revoke takes effect on the next message of an already-open connection', async () => {
  assert.equal(await alice.json('log', 'bob', aliceAtBob, 'before'), { reply: 'ack' })
  const hellos = counter(await status(bob), 'ACCEPTED_HELLO')
  assert.is((await bob.cli('revoke', 'alice', 'inject')).code, 0)
  const refused = await alice.cli('inject', 'bob', aliceAtBob, 'still there?')
  assert.match(refused.err, /bob refused: unauthorized/)
  // Revoking everything makes alice a stranger: her next line is dropped unanswered.
  assert.is((await bob.cli('revoke', 'alice')).code, 0)
  const dropped = await alice.cli('log', 'bob', aliceAtBob, 'hello?')
  assert.is(dropped.code, 1)
  assert.match(dropped.err, /did not reply in time/)
  const after = await status(bob)
  assert.is(counter(after, 'ACCEPTED_HELLO'), hellos, 'no new connection: the refusals came on the open one')
  assert.ok(counter(after, 'ADMIT_UNKNOWN_SENDER') >= 1)
  assert.is((await bob.cli('grant', 'alice', 'message')).code, 0)
  assert.is((await bob.cli('grant', 'alice', 'inject')).code, 0)
  assert.equal(await alice.json('log', 'bob', aliceAtBob, 'back'), { reply: 'ack' })
})

test("a non-friend's messages are dropped unanswered and counted", async () => {
  const before = counter(await status(bob), 'ADMIT_UNKNOWN_SENDER')
  const r = await carol.cli('log', bobKey, aliceAtBob, 'let me in')
  assert.is(r.code, 1)
  assert.match(r.err, /SEND_TIMEOUT|did not reply in time/)
  assert.is(counter(await status(bob), 'ADMIT_UNKNOWN_SENDER'), before + 1)
})

test('a 2 MB line is refused before its newline and the connection then serves a valid log', async () => {
  const peer = await dialRaw(net, topicOf(bobKey))
  try {
    const aliceId = readIdentity(alice.dataDir)
    const ack = await rawHello(peer, clock, aliceId)
    const before = counter(await status(bob), 'WIRE_LINE_TOO_LONG')
    await peer.send('x'.repeat(2 * 1024 * 1024))
    await peer.send(sealedLine(ack, 'log', 'after the flood', { from: aliceId, session: aliceAtBob, ts: clock.now }).line)
    const reply = checkReply((await peer.next())!, { signPub: bobKey, signPublicRaw: readIdentity(bob.dataDir).signPublicRaw }, { now: clock.now, freshnessMs: 300_000, replay: { check: () => 'fresh' } })
    assert.ok(reply.ok && reply.reply.type === 'ack', 'the valid log is acked')
    assert.not.ok(peer.closed)
    assert.is(counter(await status(bob), 'WIRE_LINE_TOO_LONG'), before + 1)
  } finally {
    await peer.close()
  }
})

test('rate limiting: past the limit the peer answers `rate limited`', async () => {
  const outcomes: string[] = []
  for (let i = 0; i < 6; i++) {
    const r = await alice.cli('inject', 'bob', aliceAtBob, `n${i}`)
    outcomes.push(r.code === 0 ? 'ok' : /rate limited/.test(r.err) ? 'limited' : r.err)
    if (r.code !== 0) break
  }
  assert.is(outcomes.at(-1), 'limited', outcomes.join(','))
  assert.ok(outcomes.filter((o) => o === 'ok').length <= 4)
})

test('invite: create for a key, claim over the swarm (single use), then inject on its session', async () => {
  const carolKey = readIdentity(carol.dataDir).signPub
  const created = await alice.cli('invite', 'create', carolKey, '--session', 'shared')
  assert.is(created.code, 0, created.err)
  const token = created.out.trim()
  assert.match(token, /^wop1:\/\//)
  const claimed = await carol.cli('invite', 'claim', token)
  assert.is(claimed.code, 0, claimed.err)
  assert.match(claimed.out, /inject on shared/)
  const again = await carol.cli('invite', 'claim', token)
  assert.is(again.code, 1)
  assert.match(again.err, /already claimed/)
  assert.equal(await carol.json('inject', aliceKey, 'shared', 'hi'), { reply: 'response', text: 'alice got: hi' })
  // The invite grants inject on `shared` only.
  assert.match((await carol.cli('inject', aliceKey, 'elsewhere', 'hi')).err, /unauthorized/)
})

test('rotation: every peer told, the old topic served in the grace, the old key accepted inside it and refused after', async () => {
  const before = await status(alice)
  const oldKey = aliceKey
  const r = await alice.json<{ oldShortId: string; shortId: string; notified: number; pending: string[] }>('rotate-keys', '--reason', 'scheduled')
  assert.is(r.oldShortId, before.shortId)
  // Both grantees were sent the notice: bob (a friend) acknowledged it; carol holds no grant
  // for alice, so she drops it unanswered and it waits for a retry.
  const carolShort = (await status(carol)).shortId
  assert.equal([r.notified, r.pending], [1, [carolShort]])
  assert.equal((await status(alice)).pendingNotices.map((p) => p.peer), [carolShort])
  const during = await status(alice)
  assert.equal(during.topics.map((t) => [t.shortId, t.current]), [[r.oldShortId, false], [r.shortId, true]])
  const old: Identity = loadIdentity(keyHistoryFile(alice.dataDir).load().retired[0]!.record)

  // The old topic answers with the old key.
  const peer = await dialRaw(net, topicOf(oldKey))
  try {
    const ack = await rawHello(peer, clock, readIdentity(carol.dataDir))
    assert.is(ack.from, oldKey)
  } finally {
    await peer.close()
  }

  // bob moved alice to her new key: the new key works both ways.
  assert.equal(await alice.json('log', 'bob', aliceAtBob, 'with my new key'), { reply: 'ack' })
  assert.equal(await bob.json('log', 'alice', (await status(bob)).ourSessionAtFriends!, 'to your new key'), { reply: 'ack' })

  // A message signed by the old key is accepted inside the grace …
  const sender = startClient(net, clock, { identity: old, timing: { replyMs: 1_500 } })
  try {
    const bobAddr = { signPub: bobKey }
    assert.equal(await sender.client.log(bobAddr, aliceAtBob, 'old key, in grace'), { ok: true, reply: 'ack' })
    // … and refused once the grace has ended.
    offset += GRACE_MS + 60_000
    await Promise.all([alice, bob, carol].map((p) => p.advance(GRACE_MS + 60_000)))
    assert.equal(await sender.client.log(bobAddr, aliceAtBob, 'old key, after grace'), { ok: false, reply: 'none', error: 'SEND_TIMEOUT' })
  } finally {
    await sender.close()
  }
  const after = await status(alice)
  assert.equal(after.topics.map((t) => t.shortId), [r.shortId], 'the old topic is no longer served')
  assert.equal(after.pendingNotices, [])
})

test.run()
