// The listener side of one served topic (DESIGN.md "The path of one inbound message";
// WIRE.md "Messages"): every line of every inbound connection goes through the admission
// gate, one at a time and in order, and gets the deployed listener's reply or silence.

import { DEFAULT_GATE_POLICY, type AdmissionGate, type Admitted } from '../admission/gate.ts'
import { replyFor } from '../admission/reply.ts'
import { encodeKey } from '../crypto/der.ts'
import { KeyPairPool } from '../crypto/key-pool.ts'
import { generateEncryptionKeyPair, type EncryptionKeyPair } from '../crypto/x25519.ts'
import type { Identity } from '../identity/keys.ts'
import type { Reason, Verdict } from '../reasons.ts'
import { buildAck, buildHelloAck, buildReject, buildResponse } from '../wire/build.ts'
import { MAX_REASON_CHARS } from '../wire/messages.ts'
import { sealResponse, sealStatic } from '../wire/payload.ts'
import { TIMED_OUT, within } from './deadline.ts'
import { LineChannel } from './line-channel.ts'
import type { SwarmConnection } from './swarm.ts'
import { bump, type SwarmReason } from '../reasons.ts'

/** How every canonical hello line begins (WIRE.md field order: v, type, …). */
const HELLO_PREFIX = '{"v":2,"type":"hello",'

export type HandledMessage = Extract<Admitted, { kind: 'log' | 'inject' }>
export type HandlerResult = { ok: true; text?: string } | { ok: false; reason: string }

/** Where admitted log/inject messages go: the sandbox. Without one, both are refused. */
export interface Handler {
  handle(admitted: HandledMessage): Promise<HandlerResult>
}

/** State changes the owner makes before the ack goes out; a throw refuses the sender. */
export interface ListenerHooks {
  claimed(admitted: Extract<Admitted, { kind: 'claim' }>): Promise<void>
  rotated(admitted: Extract<Admitted, { kind: 'key-rotation' }>): Promise<void>
}

export interface ListenerLimits {
  /** A connection must have a message admitted within this (WIRE.md: senders give up after 5 s). */
  handshakeMs: number
  /** A connection with no admitted message for this long is closed (refused lines do not count). */
  idleMs: number
  /** The handler's answer is awaited this long; after that the sender is told `<kind> failed`. */
  handlerMs: number
  /** Connections one signing key may hold at once. */
  maxConnectionsPerKey: number
  /** Lines held behind the one message in flight; senders wait for each reply, so honest ones never queue. */
  maxQueuedLines: number
}

export const DEFAULT_LISTENER_LIMITS: Readonly<ListenerLimits> = Object.freeze({
  handshakeMs: 5_000,
  idleMs: 60_000,
  handlerMs: 300_000,
  maxConnectionsPerKey: 4,
  maxQueuedLines: 4,
})

export interface ListenerOptions {
  gate: AdmissionGate
  /** The identity whose topic this listener serves: it signs every reply (the gate's `self`). */
  identity: Identity
  hooks: ListenerHooks
  handler?: Handler
  limits?: Partial<ListenerLimits>
  /** Reply timestamps; the gate's clock. */
  now?: () => number
}

/** What one inbound connection needs of its listener. */
interface Owner {
  readonly options: ListenerOptions
  readonly limits: ListenerLimits
  /** Fresh pairs for v2 responses, made while the connection waits for its next message. */
  readonly responderKeys: KeyPairPool
  count(reason: Reason | SwarmReason): void
  /** Claim a connection slot for `key`; false when the key holds its maximum. */
  bindKey(key: string): boolean
  releaseKey(key: string): void
}

export class Listener {
  /** Events and refusals of this layer by reason code (framing ones too); the gate counts its own. */
  readonly counters = new Map<string, number>()
  private readonly open = new Set<InboundConnection>()
  private readonly owner: Owner
  /** Connections held per authenticated signing key. */
  private readonly perKey = new Map<string, number>()
  private closed = false

  constructor(options: ListenerOptions) {
    const limits = { ...DEFAULT_LISTENER_LIMITS, ...options.limits }
    const perKey = this.perKey
    this.owner = {
      options,
      limits,
      responderKeys: new KeyPairPool(),
      count: (reason) => bump(this.counters, reason),
      bindKey: (key) => {
        const held = perKey.get(key) ?? 0
        if (held >= limits.maxConnectionsPerKey) return false
        perKey.set(key, held + 1)
        return true
      },
      releaseKey: (key) => {
        const held = (perKey.get(key) ?? 1) - 1
        if (held > 0) perKey.set(key, held)
        else perKey.delete(key)
      },
    }
  }

  /** Signing keys with an authenticated connection open now, and how many each holds. */
  connectedKeys(): ReadonlyMap<string, number> {
    return new Map(this.perKey)
  }

  /** Take over one inbound connection (pass as Swarm.serve's onConnection). */
  accept(conn: SwarmConnection): void {
    if (this.closed) {
      conn.destroy()
      return
    }
    const inbound: InboundConnection = new InboundConnection(this.owner, conn, () => this.open.delete(inbound))
    this.open.add(inbound)
  }

  close(): void {
    this.closed = true
    for (const c of this.open) c.close()
    this.owner.responderKeys.close()
  }
}

class InboundConnection {
  private readonly channel: LineChannel
  /** WIRE.md v2: this connection's own X25519 pair, its public half sent in our hello-ack. */
  private readonly ephemeral: EncryptionKeyPair = generateEncryptionKeyPair()
  private readonly queue: string[] = []
  private helloAnswered = false
  private key: string | null = null
  private busy = false
  private handshakeTimer: NodeJS.Timeout | null
  private idleTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly owner: Owner,
    conn: SwarmConnection,
    private readonly onGone: () => void,
  ) {
    this.channel = new LineChannel(conn, (line) => this.receive(line), () => this.gone())
    this.handshakeTimer = setTimeout(() => this.expire('SWARM_HANDSHAKE_TIMEOUT'), owner.limits.handshakeMs)
  }

  close(): void {
    this.channel.close()
  }

  private receive(line: Verdict<string>): void {
    if (!line.ok) {
      // Oversized or undecodable: dropped unanswered, like any line that proves no key.
      this.owner.count(line.reason)
      return
    }
    if (this.queue.length >= this.owner.limits.maxQueuedLines) {
      this.owner.count('SWARM_QUEUE_FULL')
      return
    }
    this.queue.push(line.value)
    this.drain()
  }

  /**
   * One message in flight per connection: the next line waits until the previous reply is
   * written. A line refused in silence (all a stranger's junk) is settled right here, without
   * a promise; only a line with a reply or a handler goes on asynchronously.
   */
  private drain(): void {
    while (!this.busy && !this.channel.closed) {
      const line = this.queue.shift()
      if (line === undefined) return
      let reply: string | null | Promise<string | null>
      try {
        reply = this.process(line)
      } catch {
        return this.internalError()
      }
      if (reply === null) continue
      this.busy = true
      void this.finish(reply)
    }
  }

  private async finish(reply: string | Promise<string | null>): Promise<void> {
    try {
      const line = await reply
      if (line !== null) await this.channel.send(line)
    } catch {
      return this.internalError()
    } finally {
      this.busy = false
    }
    this.drain()
  }

  /** A bug, never peer input: drop the connection rather than leave it half-served. */
  private internalError(): void {
    this.owner.count('SWARM_INTERNAL_ERROR')
    this.channel.close()
  }

  /** The reply line for one inbound line, or null for silence; a promise only where a handler or hook runs. */
  private process(line: string): string | null | Promise<string | null> {
    const { gate, identity } = this.owner.options
    // The deployed listener answers one hello per connection. A repeat in the wire's field order
    // costs a prefix test here, not the signature check a stranger could otherwise make us run
    // for every line it sends; one in another key order is caught after the gate, below.
    if (this.helloAnswered && line.startsWith(HELLO_PREFIX)) {
      this.owner.count('SWARM_REPEAT_HELLO')
      return null
    }
    const verdict = gate.admit(line, this.helloAnswered ? { ephemeralPrivateKey: this.ephemeral.privateKey } : {})
    if (!verdict.ok) {
      const reason = replyFor(verdict)
      return reason === null ? null : buildReject(identity, { session: verdict.session, reason }, this.stamp())
    }
    const admitted = verdict.value
    // The key a hello carries stays fixed, and a repeat does not keep the connection from going idle.
    if (admitted.kind === 'hello' && this.helloAnswered) {
      this.owner.count('SWARM_REPEAT_HELLO')
      return null
    }
    if (!this.bind(admitted)) return null
    this.markAdmitted()
    switch (admitted.kind) {
      case 'hello':
        this.helloAnswered = true
        return buildHelloAck(identity, { version: admitted.version, ephemeralPub: encodeKey('x25519Spki', this.ephemeral.publicKey) }, this.stamp())
      case 'log':
      case 'inject':
        return this.handle(admitted)
      case 'claim':
        return this.record(() => this.owner.options.hooks.claimed(admitted), { encryptPub: identity.encryptPub }, 'invalid token: claim failed')
      case 'key-rotation':
        return this.record(() => this.owner.options.hooks.rotated(admitted), {}, 'invalid key rotation')
    }
  }

  private async handle(admitted: HandledMessage): Promise<string> {
    const { handler, identity } = this.owner.options
    const session = admitted.session
    const failed = () => buildReject(identity, { session, reason: `${admitted.kind} failed` }, this.stamp())
    if (!handler) {
      this.owner.count('SWARM_NO_HANDLER')
      return failed()
    }
    const result = await within(
      handler.handle(admitted).catch(() => null),
      this.owner.limits.handlerMs,
    )
    if (result === null || result === TIMED_OUT) {
      this.owner.count('SWARM_HANDLER_FAILED')
      return failed()
    }
    if (!result.ok) {
      this.owner.count('SWARM_HANDLER_REFUSED')
      return buildReject(identity, { session, reason: result.reason.slice(0, MAX_REASON_CHARS) }, this.stamp())
    }
    if (admitted.kind === 'log') return buildAck(identity, { session }, this.stamp())
    const text = result.text ?? ''
    // v2: to the inject's ephemeral key with a fresh responder pair; v1: static keys, the peer's as recorded.
    const sealed = admitted.senderEphemeralPub
      ? sealResponse(text, admitted.senderEphemeralPub, this.owner.responderKeys.take())
      : wrapStatic(sealStatic(text, identity.encryptPrivateRaw, admitted.peer.encryptPub))
    if (!sealed) {
      this.owner.count('SWARM_SEAL_FAILED')
      return failed()
    }
    // WIRE.md caps a payload at 1 MiB of base64; a larger one would be dropped by the sender's framer.
    if (sealed.payload.length > DEFAULT_GATE_POLICY.maxPayloadChars) {
      this.owner.count('SWARM_RESPONSE_TOO_LARGE')
      return failed()
    }
    const fields = { encryptPub: identity.encryptPub, ephemeralPub: sealed.ephemeralPub, session, payload: sealed.payload, requestId: admitted.requestId }
    return buildResponse(identity, fields, this.stamp())
  }

  /** Claim and rotation: the owner records the change, then we ack; a failed record is refused. */
  private async record(change: () => Promise<void>, ack: { encryptPub?: string }, refusal: string): Promise<string> {
    const { identity } = this.owner.options
    try {
      await change()
    } catch {
      this.owner.count('SWARM_HOOK_FAILED')
      return buildReject(identity, { reason: refusal }, this.stamp())
    }
    return buildAck(identity, ack, this.stamp())
  }

  /**
   * The connection counts against the first key it authenticates with. Later messages may
   * carry another key (a rotation notice follows a hello signed by the new key).
   */
  private bind(admitted: Admitted): boolean {
    if (this.key !== null) return true
    const key = admitted.kind === 'hello' || admitted.kind === 'claim' ? admitted.from : admitted.peer.id
    if (!this.owner.bindKey(key)) {
      this.owner.count('SWARM_PEER_CONNECTIONS')
      this.channel.close()
      return false
    }
    this.key = key
    return true
  }

  private markAdmitted(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer)
    this.handshakeTimer = null
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => this.idle(), this.owner.limits.idleMs)
  }

  private idle(): void {
    // A message still with the handler is not idleness; look again after another period.
    if (this.busy) this.idleTimer = setTimeout(() => this.idle(), this.owner.limits.idleMs)
    else this.expire('SWARM_IDLE')
  }

  private expire(reason: SwarmReason): void {
    this.owner.count(reason)
    this.channel.close()
  }

  private gone(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer)
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.queue.length = 0
    this.ephemeral.privateKey.fill(0)
    if (this.key !== null) this.owner.releaseKey(this.key)
    this.onGone()
  }

  private stamp(): { ts?: number } {
    const now = this.owner.options.now
    return now ? { ts: now() } : {}
  }
}

function wrapStatic(payload: string | null): { payload: string; ephemeralPub?: undefined } | null {
  return payload === null ? null : { payload }
}
