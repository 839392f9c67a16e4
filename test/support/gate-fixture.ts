// A listener ("bob") with one friend ("alice"), both from the interop vectors,
// a real replay store in a temp dir, and a clock the test moves by hand.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AdmissionGate, DEFAULT_GATE_POLICY, type GatePolicy } from '../../src/admission/gate.ts'
import { RateLimiter } from '../../src/admission/rate-limit.ts'
import { P2P_ACTION_LIMITS } from '../../src/admission/trust.ts'
import { generateEncryptionKeyPair } from '../../src/crypto/x25519.ts'
import { encodeKey } from '../../src/crypto/der.ts'
import { PeerDirectory } from '../../src/friends/directory.ts'
import { addFriend, emptyPeerState, grant, type PeerState } from '../../src/friends/model.ts'
import { loadIdentity, type Identity } from '../../src/identity/keys.ts'
import { ReplayStore } from '../../src/store/replay-store.ts'
import { buildHello, buildInject, buildLog } from '../../src/wire/build.ts'
import { sealForListener, sealStatic } from '../../src/wire/payload.ts'
import vectors from '../vectors/wire-v2.json' with { type: 'json' }

export const T0 = 1_800_000_000_000
export const SESSION = 'friend:p2p:alice(f10736)'

export function vectorIdentity(who: 'alice' | 'bob' | 'aliceRotated'): Identity {
  const rec = who === 'aliceRotated' ? vectors.rotation.new : vectors.identities[who]
  return loadIdentity({ signPub: rec.signPub, signPriv: rec.signPriv, encryptPub: rec.encryptPub, encryptPriv: rec.encryptPriv, createdAt: 0 })
}

export const alice = vectorIdentity('alice')
export const bob = vectorIdentity('bob')

export interface Fixture {
  gate: AdmissionGate
  clock: { now: number }
  state: { value: PeerState }
  /** The listener's per-connection ephemeral key (as sent in its hello-ack). */
  conn: { ephemeralPrivateKey: Buffer }
  connPub: string
  close(): void
}

export function makeFixture(opts: { policy?: Partial<GatePolicy>; inject?: boolean; state?: PeerState; maxPerPeer?: number } = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'wopr-gate-'))
  const clock = { now: T0 }
  let value = opts.state ?? addFriend(emptyPeerState(), { name: 'alice', signPub: alice.signPub, encryptPub: alice.encryptPub, session: SESSION, addedAt: T0 })
  if (opts.inject) value = grant(value, alice.signPub, SESSION, 'inject')
  const state = { value }
  let cached: { for: PeerState; dir: PeerDirectory } | null = null
  const replay = ReplayStore.open(join(dir, 'replay.journal'), { now: T0, ...(opts.maxPerPeer ? { maxPerPeer: opts.maxPerPeer } : {}) })
  const eph = generateEncryptionKeyPair()
  const gate = new AdmissionGate({
    self: { signPub: bob.signPub, encryptPrivateRaw: bob.encryptPrivateRaw },
    directory: () => {
      if (cached?.for !== state.value) cached = { for: state.value, dir: new PeerDirectory(state.value) }
      return cached.dir
    },
    issuedInvite: (nonce) => state.value.access.invites.find((i) => i.nonce === nonce),
    replay,
    limiter: new RateLimiter(P2P_ACTION_LIMITS),
    policy: { ...DEFAULT_GATE_POLICY, ...opts.policy },
    now: () => clock.now,
  })
  return {
    gate,
    clock,
    state,
    conn: { ephemeralPrivateKey: eph.privateKey },
    connPub: encodeKey('x25519Spki', eph.publicKey),
    close: () => {
      replay.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

let counter = 0
export function nonce(): string {
  return (++counter).toString(16).padStart(32, '0')
}

/** A v2 log or inject from `from` to the fixture's listener, sealed to its connection key. */
export function v2(fx: Fixture, type: 'log' | 'inject', text: string, o: { from?: Identity; session?: string; ts?: number; nonce?: string } = {}): string {
  const from = o.from ?? alice
  const sealed = sealForListener(text, fx.connPub)!
  const fields = { v: 2 as const, ephemeralPub: sealed.ephemeralPub, encryptPub: from.encryptPub, session: o.session ?? SESSION, payload: sealed.payload }
  const stamp = { ts: o.ts ?? fx.clock.now, nonce: o.nonce ?? nonce() }
  return type === 'log' ? buildLog(from, fields, stamp) : buildInject(from, { ...fields, requestId: nonce() }, stamp)
}

export function v1Inject(fx: Fixture, text: string): string {
  const payload = sealStatic(text, alice.encryptPrivateRaw, bob.encryptPub)!
  return buildInject(alice, { v: 1, encryptPub: alice.encryptPub, session: SESSION, payload, requestId: nonce() }, { ts: fx.clock.now, nonce: nonce() })
}

export function hello(fx: Fixture, from: Identity = alice, versions?: number[]): string {
  const fields = versions ? { ephemeralPub: fx.connPub, versions } : { ephemeralPub: fx.connPub }
  return buildHello(from, fields, { ts: fx.clock.now, nonce: nonce() })
}
