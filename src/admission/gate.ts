// The admission gate (DESIGN.md "The path of one inbound message"): for every
// line a listener receives, accept or refuse-with-reason, stages in this order:
//   size → parse → known sender → signature → freshness → replay → grant
//   → rate limit → payload size → decrypt
// Pure apart from its injected collaborators (clock, replay store, limiter,
// directory): no sockets, no files. The first refusal wins and is counted.
// Strangers are dropped at "known sender", before any signature work.

import { decodeKey } from '../crypto/der.ts'
import { mayUse, type PeerDirectory, type PeerView } from '../friends/directory.ts'
import type { Capability, IssuedInvite } from '../friends/model.ts'
import { accept, refuse, type Reason, type Verdict } from '../reasons.ts'
import { parseInvite, verifyInvite, type Invite } from '../wire/invite.ts'
import { parseMessage, type WireMessage } from '../wire/messages.ts'
import { openAtListener, openStatic } from '../wire/payload.ts'
import { graceEndsAt, verifyRotation, type KeyRotation } from '../wire/rotation.ts'
import { isCanonicalSignedLine, signedBody, verifyBody } from '../wire/signed-json.ts'
import type { RateLimiter } from './rate-limit.ts'
import type { PeerAction } from './trust.ts'

export interface GatePolicy {
  /** Largest accepted line in bytes (WIRE.md: 1 MiB + 4 KiB). */
  maxLineBytes: number
  /** Largest accepted `payload` string (SECURITY.md: 1 MB; WIRE.md: 1,048,576 chars). */
  maxPayloadChars: number
  /** |now − ts| must not exceed this (SECURITY.md: 5 minutes). */
  freshnessMs: number
  /** Accept static-key (v1) encryption. Off unless policy says so. */
  allowV1: boolean
  /** Ceiling on a peer's key-rotation grace (SECURITY.md: 24 h). */
  maxRotationGraceMs: number
}

export const DEFAULT_GATE_POLICY: Readonly<GatePolicy> = Object.freeze({
  maxLineBytes: 1024 * 1024 + 4096,
  maxPayloadChars: 1_048_576,
  freshnessMs: 5 * 60_000,
  allowV1: false,
  maxRotationGraceMs: 24 * 3_600_000,
})

/** Protocol versions this listener speaks, best first. */
export const SUPPORTED_VERSIONS = [2, 1] as const

export interface ReplayCheck {
  check(peer: string, nonce: string, ts: number, now: number): 'fresh' | 'replay' | 'full'
}

export interface GateDeps {
  self: { signPub: string; encryptPrivateRaw: Buffer }
  /** The current view of friends and grantees (rebuilt by the owner on every state change). */
  directory: () => PeerDirectory
  /** The still-claimable invite with this nonce, if we issued one. */
  issuedInvite: (nonce: string) => IssuedInvite | undefined
  replay: ReplayCheck
  limiter: RateLimiter
  policy: GatePolicy
  now: () => number
}

/** Per-connection secrets: the listener's ephemeral key sent in our hello-ack. */
export interface ConnectionKeys {
  ephemeralPrivateKey?: Buffer
}

export type Admitted =
  | { kind: 'hello'; from: string; version: number; ephemeralPub: string }
  | { kind: 'log'; peer: PeerView; session: string; text: string; version: number }
  | { kind: 'inject'; peer: PeerView; session: string; text: string; requestId: string; version: number; senderEphemeralPub?: string }
  | { kind: 'claim'; from: string; encryptPub: string; invite: Invite }
  | { kind: 'key-rotation'; peer: PeerView; rotation: KeyRotation; validUntil: number }

/** What the gate knows about a refused message, for the reply and the log line (never plaintext). */
export interface GateRefusal {
  ok: false
  reason: Reason
  detail?: string
  type?: string
  from?: string
  session?: string
  /** True once the sender proved its key: only then may a reply be sent. */
  authenticated: boolean
}

export type GateVerdict = { ok: true; value: Admitted } | GateRefusal

/** Rotations of one peer whose grace may run at the same time (a scheduled one, then a compromise). */
export const MAX_ROTATIONS_IN_GRACE = 2

const INBOUND = new Set(['hello', 'log', 'inject', 'claim', 'key-rotation'])

export class AdmissionGate {
  readonly counters = new Map<string, number>()

  constructor(private readonly deps: GateDeps) {}

  admit(line: string, conn: ConnectionKeys = {}): GateVerdict {
    const verdict = this.decide(line, conn)
    const key = verdict.ok ? `ACCEPTED_${verdict.value.kind.toUpperCase().replace('-', '_')}` : verdict.reason
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1)
    return verdict
  }

  private decide(line: string, conn: ConnectionKeys): GateVerdict {
    const { policy } = this.deps
    // size: before any parsing, so an oversized line costs one length check (a UTF-16 unit is at
    // most 3 UTF-8 bytes, so a line short enough in units needs no byte count).
    if (line.length > policy.maxLineBytes || (line.length * 3 > policy.maxLineBytes && Buffer.byteLength(line, 'utf8') > policy.maxLineBytes)) {
      return fail('ADMIT_TOO_LARGE', false)
    }
    // parse
    const parsed = parseMessage(line)
    if (!parsed.ok) return fail(parsed.reason, false, parsed.detail)
    const msg = parsed.value
    if (!INBOUND.has(msg.type)) return fail('WIRE_UNKNOWN_TYPE', false, `a listener does not accept ${msg.type}`, msg)

    const now = this.deps.now()
    switch (msg.type) {
      case 'hello':
        return this.hello(line, msg, now)
      case 'claim':
        return this.claim(line, msg, now)
      case 'key-rotation':
        return this.rotation(line, msg, now)
      case 'log':
      case 'inject':
        return this.payload(line, msg, now, conn)
      default:
        return fail('WIRE_UNKNOWN_TYPE', false, undefined, msg)
    }
  }

  /** A hello is open to anyone: it only earns a signed hello-ack with a fresh ephemeral key. */
  private hello(line: string, msg: Extract<WireMessage, { type: 'hello' }>, now: number): GateVerdict {
    const key = decodeKey('ed25519Spki', msg.from)
    if (!key || !checkSignature(line, msg, key)) return fail('ADMIT_BAD_SIGNATURE', false, undefined, msg)
    if (!this.fresh(msg.ts, now)) return fail('ADMIT_STALE', false, undefined, msg)
    // No replay record: a replayed hello gets a new hello-ack that only the
    // holder of `from`'s private key can use, and strangers must not grow state.
    const version = SUPPORTED_VERSIONS.find((v) => msg.versions.includes(v) && (v === 2 || this.deps.policy.allowV1))
    if (version === undefined) return fail('ADMIT_NO_COMMON_VERSION', true, undefined, msg)
    return accept({ kind: 'hello', from: msg.from, version, ephemeralPub: msg.ephemeralPub })
  }

  private claim(line: string, msg: Extract<WireMessage, { type: 'claim' }>, now: number): GateVerdict {
    // Known sender, for a claim: the token must name us as issuer and the
    // sender as subject. Anything else cannot succeed, so it costs no signature check.
    const token = parseInvite(msg.token)
    if (!token.ok || token.value.iss !== this.deps.self.signPub || token.value.sub !== msg.from) {
      return fail('ADMIT_UNKNOWN_SENDER', false, 'claim with a token not issued by us for this sender', msg)
    }
    const key = decodeKey('ed25519Spki', msg.from)
    if (!key || !checkSignature(line, msg, key)) return fail('ADMIT_BAD_SIGNATURE', false, undefined, msg)
    if (!this.fresh(msg.ts, now)) return fail('ADMIT_STALE', false, undefined, msg)
    const replayed = this.replayed(msg.from, msg, now)
    if (replayed) return replayed
    // grant, for a claim: a valid, unexpired invite of ours that is still unclaimed.
    const invite = verifyInvite(token.value, now)
    if (!invite.ok) return fail('ADMIT_BAD_TOKEN', true, invite.reason, msg)
    if (!this.deps.issuedInvite(invite.value.nonce)) return fail('ADMIT_TOKEN_USED', true, undefined, msg)
    if (!this.deps.limiter.take(msg.from, 'claim', now)) return fail('ADMIT_RATE_LIMITED', true, undefined, msg)
    return accept({ kind: 'claim', from: msg.from, encryptPub: msg.encryptPub, invite: invite.value })
  }

  private rotation(line: string, msg: Extract<WireMessage, { type: 'key-rotation' }>, now: number): GateVerdict {
    const entry = this.deps.directory().resolve(msg.from, now)
    if (!entry) return fail('ADMIT_UNKNOWN_SENDER', false, undefined, msg)
    // WIRE.md: the outer message is not signed; its sig copies the inner
    // rotation's, which the OLD key signed. So the signature check is: the
    // outer line is that exact copy, from the peer's current key, and the
    // inner signature verifies against that key.
    const rot = msg.keyRotation
    const copiesInner = msg.from === entry.peer.id && rot.oldSignPub === msg.from && msg.sig === rot.sig
    const innerBody = signedBody(rot)
    const canonical = isCanonicalSignedLine(line, msg, signedBody(msg)) && isCanonicalSignedLine(JSON.stringify(rot), rot, innerBody)
    if (!copiesInner || !canonical || !verifyBody(innerBody, rot.sig, entry.signPublicRaw)) {
      return fail('ADMIT_BAD_SIGNATURE', false, undefined, msg)
    }
    if (!this.fresh(msg.ts, now)) return fail('ADMIT_STALE', false, undefined, msg)
    const peer = entry.peer
    const replayed = this.replayed(peer.id, msg, now)
    if (replayed) return replayed
    const verified = verifyRotation(rot, { now, maxGraceMs: this.deps.policy.maxRotationGraceMs, freshnessMs: this.deps.policy.freshnessMs })
    if (!verified.ok) return fail('ADMIT_BAD_ROTATION', true, verified.detail, msg)
    // A peer may only rotate to a key nobody here holds: moving onto another friend's key
    // would take over its grants and its WOPR session.
    const taken = rot.newSignPub === this.deps.self.signPub || this.deps.directory().holds(rot.newSignPub, now)
    if (taken) return fail('ADMIT_ROTATION_KEY_TAKEN', true, undefined, msg)
    // Every new key starts with fresh rate limits, nonces and model budget: a chain of rotations
    // would reset them at will, so only so many may be in grace at once.
    if (peer.previousGraceEnds.filter((end) => end > now).length >= MAX_ROTATIONS_IN_GRACE) return fail('ADMIT_ROTATION_TOO_SOON', true, undefined, msg)
    if (!this.deps.limiter.take(peer.id, 'rotation', now)) return fail('ADMIT_RATE_LIMITED', true, undefined, msg)
    const validUntil = graceEndsAt(verified.value, this.deps.policy.maxRotationGraceMs)
    return accept({ kind: 'key-rotation', peer, rotation: verified.value, validUntil })
  }

  private payload(line: string, msg: Extract<WireMessage, { type: 'log' | 'inject' }>, now: number, conn: ConnectionKeys): GateVerdict {
    const { policy } = this.deps
    const entry = this.deps.directory().resolve(msg.from, now)
    if (!entry) return fail('ADMIT_UNKNOWN_SENDER', false, undefined, msg)
    if (!checkSignature(line, msg, entry.signPublicRaw)) return fail('ADMIT_BAD_SIGNATURE', false, undefined, msg)
    if (!this.fresh(msg.ts, now)) return fail('ADMIT_STALE', false, undefined, msg)
    const peer = entry.peer
    const replayed = this.replayed(peer.id, msg, now)
    if (replayed) return replayed
    // grant: `log` needs message, `inject` needs inject; message never implies inject.
    const cap: Capability = msg.type === 'log' ? 'message' : 'inject'
    if (!mayUse(peer, msg.session, cap)) return fail('ADMIT_UNAUTHORIZED', true, undefined, msg)
    const action: PeerAction = cap
    if (!this.deps.limiter.take(peer.id, action, now)) return fail('ADMIT_RATE_LIMITED', true, undefined, msg)
    if (msg.payload.length > policy.maxPayloadChars) return fail('ADMIT_PAYLOAD_TOO_LARGE', true, String(msg.payload.length), msg)
    const text = this.decrypt(msg, peer, conn)
    if (!text.ok) return fail(text.reason, true, undefined, msg)
    const base = { peer, session: msg.session, text: text.value, version: msg.v }
    if (msg.type === 'log') return accept({ kind: 'log', ...base })
    const admitted: Admitted = { kind: 'inject', ...base, requestId: msg.requestId }
    if (msg.ephemeralPub !== undefined) admitted.senderEphemeralPub = msg.ephemeralPub
    return accept(admitted)
  }

  /**
   * v2: the sender encrypted to the ephemeral key of our hello-ack on this
   * connection. v1: static keys — our encryption key and the one we recorded
   * for the peer (never the key the message itself carries).
   */
  private decrypt(msg: Extract<WireMessage, { type: 'log' | 'inject' }>, peer: PeerView, conn: ConnectionKeys): Verdict<string> {
    let text: string | null
    if (msg.ephemeralPub !== undefined) {
      if (!conn.ephemeralPrivateKey) return refuse('ADMIT_NO_SESSION_KEY')
      text = openAtListener(msg.payload, conn.ephemeralPrivateKey, msg.ephemeralPub)
    } else {
      if (!this.deps.policy.allowV1) return refuse('ADMIT_V1_REFUSED')
      text = openStatic(msg.payload, this.deps.self.encryptPrivateRaw, peer.encryptPub)
    }
    return text === null ? refuse('ADMIT_DECRYPT_FAILED') : accept(text)
  }

  /**
   * Nonces are tracked per peer (its current key, so an old key in its grace
   * period shares the set). A peer whose nonce set is full is told "rate
   * limited": it proved its key, and nothing was forgotten to make room.
   */
  private replayed(peer: string, msg: WireMessage, now: number): GateRefusal | null {
    const verdict = this.deps.replay.check(peer, msg.nonce, msg.ts, now)
    if (verdict === 'fresh') return null
    return verdict === 'replay' ? fail('ADMIT_REPLAY', false, undefined, msg) : fail('ADMIT_REPLAY_FULL', true, undefined, msg)
  }

  private fresh(ts: number, now: number): boolean {
    return Math.abs(now - ts) <= this.deps.policy.freshnessMs
  }
}

function checkSignature(line: string, msg: WireMessage, key: Buffer): boolean {
  const body = signedBody(msg)
  return isCanonicalSignedLine(line, msg, body) && verifyBody(body, msg.sig, key)
}

function fail(reason: Reason, authenticated: boolean, detail?: string, msg?: WireMessage): GateRefusal {
  const out: GateRefusal = { ok: false, reason, authenticated }
  if (detail !== undefined) out.detail = detail
  if (msg) {
    out.type = msg.type
    out.from = msg.from
    if ('session' in msg && typeof msg.session === 'string') out.session = msg.session
  }
  return out
}
