// Outbound sends to a friend (WIRE.md "Messages", "Encryption"): build the deployed
// line once the handshake fixed version and key, accept only the reply that answers it,
// reuse the peer's connection, retry set-up a bounded number of times with backoff.

import type { ReplayCheck } from '../admission/gate.ts'
import { decodeKey } from '../crypto/der.ts'
import { randomHex } from '../crypto/random.ts'
import type { Identity } from '../identity/keys.ts'
import { WoprP2PError } from '../reasons.ts'
import { buildClaim, buildInject, buildKeyRotationMessage, buildLog } from '../wire/build.ts'
import type { KeyRotation, WireVersion } from '../wire/messages.ts'
import { openResponse, openStatic, sealPrepared, sealStatic } from '../wire/payload.ts'
import { noReply, PeerLink, type SendResult, type Session } from './peer-link.ts'
import { checkReply, type Reply } from './reply-check.ts'
import type { Swarm } from './swarm.ts'
import { bump } from '../reasons.ts'

export type { SendResult } from './peer-link.ts'

export interface PeerAddress {
  signPub: string
  /** The peer's recorded X25519 key; only static-key (v1) exchanges use it. */
  encryptPub?: string
}

export interface ClientTiming {
  /** One set-up attempt: from dialling to a verified hello-ack. */
  setupMs: number
  /** One connection: hello to hello-ack (WIRE.md: 5 s). */
  handshakeMs: number
  /** Wait for the ack or reject of a log, claim or rotation notice. */
  replyMs: number
  /** Wait for an inject's response (policy: the peer runs a whole agent turn). */
  injectMs: number
  /** Pauses between set-up attempts; there are backoffMs.length + 1 attempts. */
  backoffMs: readonly number[]
  /** A peer's connection unused this long is closed (below the listener's idle time, so we close first). */
  idleMs: number
  /** Sends waiting for one peer, the one in flight included. */
  maxQueuedPerPeer: number
}

export const DEFAULT_CLIENT_TIMING: Readonly<ClientTiming> = Object.freeze({
  setupMs: 10_000,
  handshakeMs: 5_000,
  replyMs: 10_000,
  injectMs: 300_000,
  backoffMs: Object.freeze([500, 2_000]),
  idleMs: 20_000,
  maxQueuedPerPeer: 16,
})

export interface ClientOptions {
  swarm: Swarm
  /** Our identity now: it signs hellos and requests (after a rotation, the new key). */
  identity: () => Identity
  /** Reply nonces per peer (the persistent replay store, or any ReplayCheck). */
  replay: ReplayCheck
  /** |now − ts| a reply may show (SECURITY.md: 5 minutes). */
  freshnessMs?: number
  /** Settle on static-key v1 when a peer picks it. Off unless policy says so. */
  allowV1?: boolean
  timing?: Partial<ClientTiming>
  now?: () => number
}

/** One request: its line for this handshake, and which reply answers it. */
interface Built {
  line: string
  accept(reply: Reply): SendResult | null
  /** Wipe what only this exchange needed (the per-message private key). */
  dispose?(): void
}

/** `build` runs once the link's session is up, against what its handshake fixed. */
type Request = { build(link: Session, self: Identity): Built | SendResult; waitMs?: number }

interface LinkEntry {
  link: PeerLink
  /** Sends run one after another: the listener handles one message per connection at a time. */
  tail: Promise<unknown>
  queued: number
  idle: NodeJS.Timeout | null
}

const OFFERED_VERSIONS = [2, 1] as const

export class Client {
  /** Discarded replies and failed sends by reason code. */
  readonly counters = new Map<string, number>()
  private readonly timing: ClientTiming
  private readonly links = new Map<string, LinkEntry>()
  private readonly now: () => number

  constructor(private readonly options: ClientOptions) {
    this.timing = { ...DEFAULT_CLIENT_TIMING, ...options.timing }
    this.now = options.now ?? Date.now
  }

  /** A `log` to the peer's session; ok with reply 'ack' once the peer acknowledged it. */
  log(peer: PeerAddress, session: string, text: string): Promise<SendResult> {
    return this.send(peer, {
      build: (link, self) => {
        const sealed = this.seal(text, link, self, peer)
        if (!sealed) return noReply('SEND_SEAL_FAILED')
        sealed.wipe()
        const line = buildLog(self, { ...sealed.fields, encryptPub: self.encryptPub, session }, { ts: this.now() })
        return { line, accept: (reply) => answerFor(reply, session) }
      },
    })
  }

  /** An `inject`; ok with reply 'response' and the opened text. */
  inject(peer: PeerAddress, session: string, text: string, waitMs?: number): Promise<SendResult> {
    return this.send(peer, {
      waitMs: waitMs ?? this.timing.injectMs,
      build: (link, self) => {
        const sealed = this.seal(text, link, self, peer)
        if (!sealed) return noReply('SEND_SEAL_FAILED')
        const requestId = randomHex(16)
        const line = buildInject(self, { ...sealed.fields, encryptPub: self.encryptPub, session, requestId }, { ts: this.now() })
        const accept = (reply: Reply): SendResult | null => {
          if (reply.type !== 'response') return reply.type === 'reject' ? answerFor(reply, session) : null
          if (reply.requestId !== requestId || reply.session !== session) return null
          const opened = sealed.open(reply)
          return opened === null ? null : { ok: true, reply: 'response', text: opened }
        }
        return { line, accept, dispose: sealed.wipe }
      },
    })
  }

  /** Claim an invite from its issuer; ok with the issuer's encryptPub from the ack. */
  claim(issuer: PeerAddress, token: string): Promise<SendResult> {
    return this.send(issuer, {
      build: ({ handshake }, self) => {
        const line = buildClaim(self, { v: handshake.version as WireVersion, encryptPub: self.encryptPub, token }, { ts: this.now() })
        const accept = (reply: Reply): SendResult | null => {
          if (reply.type === 'reject') return { ok: false, reply: 'reject', reason: reply.reason }
          return reply.type === 'ack' && reply.encryptPub ? { ok: true, reply: 'ack', encryptPub: reply.encryptPub } : null
        }
        return { line, accept }
      },
    })
  }

  /** Tell a peer about our rotation (the notice is signed by the old key; the hello by the current one). */
  keyRotation(peer: PeerAddress, rotation: KeyRotation): Promise<SendResult> {
    return this.send(peer, {
      build: ({ handshake }) => ({ line: buildKeyRotationMessage(rotation, handshake.version as WireVersion, { ts: this.now() }), accept: (reply) => answerFor(reply) }),
    })
  }

  /** Close every peer connection (the swarm is the owner's to close). */
  async close(): Promise<void> {
    const entries = [...this.links.values()]
    this.links.clear()
    for (const e of entries) if (e.idle) clearTimeout(e.idle)
    await Promise.all(entries.map((e) => e.link.close()))
  }

  private async send(peer: PeerAddress, request: Request): Promise<SendResult> {
    const entry = this.entryFor(peer)
    const result = entry.queued < this.timing.maxQueuedPerPeer ? await this.enqueue(peer.signPub, entry, request) : noReply('SEND_BUSY')
    if (!result.ok && result.reply === 'none') bump(this.counters, result.error)
    return result
  }

  private async enqueue(key: string, entry: LinkEntry, request: Request): Promise<SendResult> {
    entry.queued++
    if (entry.idle) clearTimeout(entry.idle)
    entry.idle = null
    const run = entry.tail.then(() => this.attempt(entry.link, request))
    entry.tail = run.catch(() => undefined)
    try {
      return await run
    } finally {
      if (--entry.queued === 0 && this.links.get(key) === entry) {
        entry.idle = setTimeout(() => {
          this.links.delete(key)
          void entry.link.close()
        }, this.timing.idleMs)
      }
    }
  }

  /** Set-up failures are retried with backoff; once a line is written, its outcome is final. */
  private async attempt(link: PeerLink, request: Request): Promise<SendResult> {
    for (let attempt = 0; ; attempt++) {
      const ready = await link.ready(this.timing.setupMs)
      if (ready.ok) {
        const built = request.build(ready.session, this.options.identity())
        if (!('line' in built)) return built
        try {
          const result = await ready.session.exchange(built.line, built.accept, request.waitMs ?? this.timing.replyMs)
          if (result !== 'unsent') return result
        } finally {
          built.dispose?.()
        }
      } else if (ready.final) {
        return ready.final
      }
      const pause = this.timing.backoffMs[attempt]
      if (pause === undefined) return noReply('SEND_UNREACHABLE')
      await new Promise((resolve) => setTimeout(resolve, pause))
      link.refresh()
    }
  }

  private entryFor(peer: PeerAddress): LinkEntry {
    const existing = this.links.get(peer.signPub)
    if (existing) return existing
    const signPublicRaw = decodeKey('ed25519Spki', peer.signPub)
    if (!signPublicRaw) throw new WoprP2PError('USAGE', 'peer signing key is not base64 SPKI Ed25519', 'check the friend record')
    const addressed = { signPub: peer.signPub, signPublicRaw }
    const freshnessMs = this.options.freshnessMs ?? 5 * 60_000
    const link = new PeerLink({
      swarm: this.options.swarm,
      identity: this.options.identity,
      peer: addressed,
      now: this.now,
      handshakeMs: this.timing.handshakeMs,
      offered: OFFERED_VERSIONS,
      accepted: new Set(this.options.allowV1 ? [2, 1] : [2]),
      check: (line) => checkReply(line, addressed, { now: this.now(), freshnessMs, replay: this.options.replay }),
      count: (reason) => bump(this.counters, reason),
    })
    const entry: LinkEntry = { link, tail: Promise.resolve(), queued: 0, idle: null }
    this.links.set(peer.signPub, entry)
    return entry
  }

  /**
   * v2: a fresh pair for this message (prepared by the session), sealed to the listener's
   * hello-ack key; the response opens with its private half. v1: static keys both ways, the peer's as recorded.
   */
  private seal(text: string, link: Session, self: Identity, peer: PeerAddress) {
    if (link.handshake.version === 2) {
      const prepared = link.takeSenderKey()
      if (!prepared) return null
      const sealed = sealPrepared(text, prepared)
      return {
        fields: { v: 2 as const, ephemeralPub: sealed.ephemeralPub, payload: sealed.payload },
        open: (r: Extract<Reply, { type: 'response' }>) => (r.ephemeralPub ? openResponse(r.payload, sealed.ephemeralPrivate, r.ephemeralPub) : null),
        wipe: () => sealed.ephemeralPrivate.fill(0),
      }
    }
    const peerKey = peer.encryptPub
    if (peerKey === undefined) return null
    const payload = sealStatic(text, self.encryptPrivateRaw, peerKey)
    if (payload === null) return null
    return {
      fields: { v: 1 as const, payload },
      open: (r: Extract<Reply, { type: 'response' }>) => (r.ephemeralPub ? null : openStatic(r.payload, self.encryptPrivateRaw, peerKey)),
      wipe: () => undefined,
    }
  }
}

/** The answer to a log or a rotation notice: an ack, or the peer's signed refusal; for our session if it names one. */
function answerFor(reply: Reply, session?: string): SendResult | null {
  if (reply.type !== 'ack' && reply.type !== 'reject') return null
  if (reply.session !== undefined && reply.session !== session) return null
  return reply.type === 'ack' ? { ok: true, reply: 'ack' } : { ok: false, reply: 'reject', reason: reply.reason }
}
