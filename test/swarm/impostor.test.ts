// An impostor that joins a friend's topic as server (WIRE.md "Where the sidecar is
// stricter"): whatever it answers — its own key, a forged `from`, a stale or replayed
// genuine line, a relayed genuine hello-ack — no reply of its own is ever used.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { encodeKey } from '../../src/crypto/der.ts'
import { generateEncryptionKeyPair } from '../../src/crypto/x25519.ts'
import { topicOf } from '../../src/identity/ids.ts'
import { createIdentityRecord, loadIdentity } from '../../src/identity/keys.ts'
import type { SendResult } from '../../src/swarm/client.ts'
import { buildHelloAck, buildResponse } from '../../src/wire/build.ts'
import { parseMessage } from '../../src/wire/messages.ts'
import { openAtListener } from '../../src/wire/payload.ts'
import { signObject } from '../../src/wire/signed-json.ts'
import { SESSION, T0, bob } from '../support/gate-fixture.ts'
import { dialRaw, serveScripted, startNet, type TestNet } from '../support/swarm-net.ts'
import { BOB, helloLine, startClient, startListener, type ListenerRig } from '../support/swarm-rigs.ts'
import vectors from '../vectors/wire-v2.json' with { type: 'json' }

const mallory = loadIdentity(createIdentityRecord(T0))
const BOB_TOPIC = topicOf(bob.signPub)
/** Short set-up so each unreachable case ends in about a second: two attempts of 500 ms. */
const TIMING = { setupMs: 500, handshakeMs: 400, backoffMs: [100], replyMs: 800, injectMs: 800 }

let net: TestNet
/** The genuine bob, reachable on a decoy topic only (so the client can only find mallory on bob's). */
let decoy: ListenerRig
const closers: (() => Promise<void> | void)[] = []

test.before(async () => {
  net = await startNet()
  decoy = await startListener(net, { fixture: { inject: true }, topic: Buffer.alloc(32, 0x44) })
})

test.after.each(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

test.after(async () => {
  await decoy?.close()
  await net?.close()
})

/** Mallory on bob's topic. */
async function impostor(answer: (line: string) => Promise<string[]> | string[]): Promise<{ received: string[] }> {
  const m = await serveScripted(net, BOB_TOPIC, answer)
  closers.push(() => m.close())
  return m
}

async function aliceSends(send: (c: ReturnType<typeof startClient>['client']) => Promise<SendResult>) {
  const rig = startClient(net, decoy.fx.clock, { timing: TIMING })
  closers.push(() => rig.close())
  return { result: await send(rig.client), counters: rig.client.counters }
}

const typeOf = (line: string) => JSON.parse(line).type as string
const ownAck = () => buildHelloAck(mallory, { version: 2, ephemeralPub: encodeKey('x25519Spki', generateEncryptionKeyPair().publicKey) }, { ts: T0 })

test('an impostor answering with its own key: discarded, banned, and never sent the message', async () => {
  const m = await impostor((line) => (typeOf(line) === 'hello' ? [ownAck()] : []))
  const { result, counters } = await aliceSends((c) => c.log(BOB, SESSION, 'for bob only'))
  assert.equal(result, { ok: false, reply: 'none', error: 'SEND_UNREACHABLE' })
  assert.ok((counters.get('SEND_REPLY_NOT_FROM_PEER') ?? 0) >= 1)
  assert.ok(m.received.length >= 1)
  assert.ok(m.received.every((l) => typeOf(l) === 'hello'), 'only hellos reached the impostor')
})

test("an impostor forging bob's key as `from`: the signature gives it away", async () => {
  const forged = () => {
    const fields = { v: 2, type: 'hello-ack', from: bob.signPub, version: 2, ephemeralPub: encodeKey('x25519Spki', generateEncryptionKeyPair().publicKey) }
    return signObject({ ...fields, nonce: '0'.repeat(31) + '1', ts: T0 }, mallory.signSecretKey)
  }
  const m = await impostor((line) => (typeOf(line) === 'hello' ? [forged()] : []))
  const { result, counters } = await aliceSends((c) => c.inject(BOB, SESSION, 'for bob only'))
  assert.equal(result, { ok: false, reply: 'none', error: 'SEND_UNREACHABLE' })
  assert.ok((counters.get('SEND_REPLY_NOT_FROM_PEER') ?? 0) >= 1)
  assert.ok(m.received.every((l) => typeOf(l) === 'hello'))
})

test("an impostor replaying bob's genuine but stale hello-ack (vector A.2): refused as stale", async () => {
  const genuine = vectors.signed.find((e) => e.id === 'A.2')!.line
  const m = await impostor((line) => (typeOf(line) === 'hello' ? [genuine] : []))
  const { result, counters } = await aliceSends((c) => c.log(BOB, SESSION, 'for bob only'))
  assert.equal(result, { ok: false, reply: 'none', error: 'SEND_UNREACHABLE' })
  assert.ok((counters.get('SEND_REPLY_STALE') ?? 0) >= 1)
  assert.ok(m.received.every((l) => typeOf(l) === 'hello'))
})

test('an impostor relaying a fresh genuine hello-ack gets a message it cannot open, and none of its replies is used', async () => {
  let relayedAck = ''
  const m = await impostor(async (line) => {
    if (typeOf(line) === 'hello') {
      // Mallory asks the real bob for a hello-ack (a hello is open to anyone) and passes it on.
      const toBob = await dialRaw(net, decoy.topic)
      closers.push(() => toBob.close())
      await toBob.send(helloLine(decoy.fx.clock, mallory))
      relayedAck = (await toBob.next())!
      return [relayedAck]
    }
    const inject = parseMessage(line)
    if (!inject.ok || inject.value.type !== 'inject') return []
    const own = buildResponse(mallory, { encryptPub: mallory.encryptPub, session: SESSION, payload: 'AAAA', requestId: inject.value.requestId }, { ts: T0 })
    const staleGenuine = vectors.signed.find((e) => e.id === 'B.4')!.line
    return [own, staleGenuine, relayedAck]
  })
  const { result, counters } = await aliceSends((c) => c.inject(BOB, SESSION, 'secret for bob'))
  assert.equal(result, { ok: false, reply: 'none', error: 'SEND_TIMEOUT' })
  assert.equal(
    ['SEND_REPLY_NOT_FROM_PEER', 'SEND_REPLY_STALE', 'SEND_REPLY_REPLAYED'].map((r) => counters.get(r)),
    [1, 1, 1],
  )
  const inject = m.received.map((l) => parseMessage(l)).find((p) => p.ok && p.value.type === 'inject')
  assert.ok(inject?.ok && inject.value.type === 'inject')
  if (inject?.ok && inject.value.type === 'inject') {
    assert.not.ok(JSON.stringify(inject.value).includes('secret for bob'))
    assert.is(openAtListener(inject.value.payload, mallory.encryptPrivateRaw, inject.value.ephemeralPub!), null)
  }
})

test('with the genuine bob and an impostor both on the topic, the reply comes from bob', async () => {
  const m = await impostor((line) => (typeOf(line) === 'hello' ? [ownAck()] : []))
  const genuine = await startListener(net, { fixture: { inject: true } })
  closers.push(() => genuine.close())
  const { result } = await aliceSends((c) => c.inject(BOB, SESSION, 'who is there?'))
  assert.equal(result, { ok: true, reply: 'response', text: 'bob got: who is there?' })
  assert.ok(m.received.every((l) => typeOf(l) === 'hello'))
})

test.run()
