// Listener and client rigs for the swarm tier: bob (the gate fixture's listener, a real
// replay store, a hand-moved clock) served on the testnet, and clients that share bob's
// clock so both sides judge freshness alike.

import { randomBytes } from 'node:crypto'
import type { Admitted } from '../../src/admission/gate.ts'
import { encodeKey } from '../../src/crypto/der.ts'
import { generateEncryptionKeyPair } from '../../src/crypto/x25519.ts'
import { applyRotation, claimInvite } from '../../src/friends/model.ts'
import { topicOf } from '../../src/identity/ids.ts'
import type { Identity } from '../../src/identity/keys.ts'
import { ReplayStore } from '../../src/store/replay-store.ts'
import { Client, type ClientTiming } from '../../src/swarm/client.ts'
import { Listener, type Handler, type ListenerHooks, type ListenerLimits } from '../../src/swarm/listener.ts'
import type { Served } from '../../src/swarm/swarm.ts'
import { buildHello, buildInject, buildLog } from '../../src/wire/build.ts'
import { parseMessage, type HelloAck } from '../../src/wire/messages.ts'
import { sealForListener } from '../../src/wire/payload.ts'
import { SESSION, T0, alice, bob, makeFixture, type Fixture } from './gate-fixture.ts'
import type { RawPeer, TestNet } from './swarm-net.ts'
import { freshPath } from './temp-dirs.ts'

/** The upstream test listener's answer (vectors B.4, G2.4), so replies compare byte-for-byte in meaning. */
export const echo: Handler = { handle: async (a) => ({ ok: true, text: `bob got: ${a.text}` }) }

export interface ListenerRig {
  fx: Fixture
  listener: Listener
  served: Served
  topic: Buffer
  /** Every message the handler saw. */
  handled: Admitted[]
  close(): Promise<void>
}

export async function startListener(
  net: TestNet,
  opts: { fixture?: Parameters<typeof makeFixture>[0]; handler?: Handler | null; limits?: Partial<ListenerLimits>; topic?: Buffer; hooks?: ListenerHooks } = {},
): Promise<ListenerRig> {
  const fx = makeFixture(opts.fixture)
  const handled: Admitted[] = []
  const inner = opts.handler === undefined ? echo : opts.handler
  const handler: Handler | undefined = inner
    ? {
        handle: (a) => {
          handled.push(a)
          return inner.handle(a)
        },
      }
    : undefined
  const listener = new Listener({
    gate: fx.gate,
    identity: bob,
    now: () => fx.clock.now,
    ...(handler ? { handler } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    hooks: opts.hooks ?? {
      claimed: async (a) => {
        fx.state.value = claimInvite(fx.state.value, a.invite.nonce, { signPub: a.from, encryptPub: a.encryptPub }, fx.clock.now)
      },
      rotated: async (a) => {
        fx.state.value = applyRotation(fx.state.value, a.rotation, a.validUntil)
      },
    },
  })
  const topic = opts.topic ?? topicOf(bob.signPub)
  const served = await net.swarm().serve(topic, { onConnection: (c) => listener.accept(c) })
  return {
    fx,
    listener,
    served,
    topic,
    handled,
    close: async () => {
      listener.close()
      await served.close()
      fx.close()
    },
  }
}

export interface ClientRig {
  client: Client
  close(): Promise<void>
}

/** A client (alice by default) on its own swarm, its clock tied to `clock`. */
export function startClient(
  net: TestNet,
  clock: { now: number } = { now: T0 },
  opts: { identity?: Identity; timing?: Partial<ClientTiming>; allowV1?: boolean } = {},
): ClientRig {
  const replay = ReplayStore.open(freshPath('replies'), { now: clock.now })
  const identity = opts.identity ?? alice
  const client = new Client({
    swarm: net.swarm(),
    identity: () => identity,
    replay,
    now: () => clock.now,
    allowV1: opts.allowV1 ?? false,
    timing: { setupMs: 3_000, backoffMs: [100], ...opts.timing },
  })
  return {
    client,
    close: async () => {
      await client.close()
      replay.close()
    },
  }
}

export const BOB = { signPub: bob.signPub, encryptPub: bob.encryptPub }

/** A deployed sender's hello (the ephemeralPub is unused by the listener). */
export function helloLine(clock: { now: number }, from: Identity = alice): string {
  return buildHello(from, { ephemeralPub: encodeKey('x25519Spki', generateEncryptionKeyPair().publicKey) }, { ts: clock.now })
}

/** hello → hello-ack by hand; the ack parsed (its checks are the test's to make). */
export async function rawHello(peer: RawPeer, clock: { now: number }, from: Identity = alice): Promise<HelloAck> {
  await peer.send(helloLine(clock, from))
  const line = await peer.next()
  const parsed = line === null ? null : parseMessage(line)
  if (!parsed?.ok || parsed.value.type !== 'hello-ack') throw new Error(`expected a hello-ack, got ${line}`)
  return parsed.value
}

/** A v2 log or inject as a deployed sender builds it, sealed to the hello-ack's connection key. */
export function sealedLine(
  ack: HelloAck,
  type: 'log' | 'inject',
  text: string,
  o: { from?: Identity; session?: string; ts: number },
): { line: string; ephemeralPrivate: Buffer; requestId: string } {
  const from = o.from ?? alice
  const sealed = sealForListener(text, ack.ephemeralPub)!
  const fields = { v: 2 as const, ephemeralPub: sealed.ephemeralPub, encryptPub: from.encryptPub, session: o.session ?? SESSION, payload: sealed.payload }
  const requestId = randomBytes(16).toString('hex')
  const line = type === 'log' ? buildLog(from, fields, { ts: o.ts }) : buildInject(from, { ...fields, requestId }, { ts: o.ts })
  return { line, ephemeralPrivate: sealed.ephemeralPrivate, requestId }
}
