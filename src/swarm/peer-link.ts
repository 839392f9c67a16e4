// The outbound connection to one peer (WIRE.md "Transport and framing", "Where the sidecar
// is stricter"): dial the peer's topic, hello every connection found there, keep the first
// whose hello-ack is signed by the peer, and carry one request at a time on it.

import { encodeKey } from '../crypto/der.ts'
import { generateEncryptionKeyPair } from '../crypto/x25519.ts'
import type { Identity } from '../identity/keys.ts'
import { topicOf } from '../identity/ids.ts'
import { buildHello } from '../wire/build.ts'
import { discardPrepared, prepareSender, type PreparedSender } from '../wire/payload.ts'
import { LineChannel } from './line-channel.ts'
import type { AddressedPeer, Reply, ReplyVerdict } from './reply-check.ts'
import type { Dial, Swarm, SwarmConnection } from './swarm.ts'
import type { SwarmReason } from '../reasons.ts'

/** What the listener's hello-ack fixed for this connection. */
export interface Handshake {
  version: number
  /** The listener's per-connection X25519 key that v2 payloads are sealed to. */
  listenerEphemeralPub: string
}

/** A send's outcome: the peer's signed answer, or why there is none. */
export type SendResult =
  | { ok: true; reply: 'ack'; encryptPub?: string }
  | { ok: true; reply: 'response'; text: string }
  | { ok: false; reply: 'reject'; reason: string }
  | { ok: false; reply: 'none'; error: SwarmReason }

export function noReply(error: SwarmReason): SendResult {
  return { ok: false, reply: 'none', error }
}

export interface LinkContext {
  swarm: Swarm
  identity: () => Identity
  peer: AddressedPeer
  now: () => number
  handshakeMs: number
  /** Versions the hello offers: the deployed [2, 1], so a plugin agent sees the bytes it knows. */
  offered: readonly number[]
  /** Versions a hello-ack may settle on (1 only when policy allows static keys). */
  accepted: ReadonlySet<number>
  check(line: string): ReplyVerdict
  count(reason: SwarmReason): void
}

/** A ready session, or a final answer to the set-up (a signed refusal, a version we refuse), or nothing in time. */
export type Ready = { ok: true; session: Session } | { ok: false; final: SendResult | null }

/** A connection whose hello-ack verified: requests go over it one at a time. */
export class Session {
  /** Where verified replies go while a request waits; null between requests. */
  private consumer: ((reply: Reply) => void) | null = null
  private onClosed: (() => void) | null = null
  /** v2: the pair and listener key for the next message, made while the session was idle. */
  private prepared: PreparedSender | null = null

  constructor(
    readonly channel: LineChannel,
    readonly handshake: Handshake,
    private readonly ctx: LinkContext,
  ) {}

  deliver(reply: Reply): void {
    if (this.consumer) this.consumer(reply)
    else this.ctx.count('SEND_REPLY_UNEXPECTED')
  }

  closed(): void {
    this.onClosed?.()
    if (this.prepared) discardPrepared(this.prepared)
    this.prepared = null
  }

  /**
   * v2 only: the next message's fresh pair and its key to the listener, each used for that
   * one message; null when the listener's key is unusable.
   */
  takeSenderKey(): PreparedSender | null {
    const prepared = this.prepared ?? prepareSender(this.handshake.listenerEphemeralPub)
    this.prepared = null
    return prepared
  }

  /**
   * Make the next message's keys while nothing is in flight. Not before: the transport sends
   * a written line on the loop's next poll, after setImmediate work, so preparing while a
   * line waits would delay it.
   */
  private prepareWhileIdle(): void {
    if (this.handshake.version !== 2 || this.prepared || this.consumer || this.channel.closed) return
    this.prepared = prepareSender(this.handshake.listenerEphemeralPub)
  }

  /**
   * Write one request and wait for the reply `accept` takes (null: not ours, keep waiting).
   * 'unsent' when the connection was already gone, so a retry cannot double-deliver.
   * A timeout closes the connection: a late reply must never answer the next request.
   */
  exchange(line: string, accept: (reply: Reply) => SendResult | null, waitMs: number): Promise<SendResult | 'unsent'> {
    if (this.channel.closed) return Promise.resolve('unsent')
    return new Promise((resolve) => {
      const finish = (result: SendResult) => {
        clearTimeout(timer)
        this.consumer = null
        this.onClosed = null
        resolve(result)
        // After the caller's continuation (queued microtasks run first) has had its answer.
        setImmediate(() => this.prepareWhileIdle())
      }
      const timer = setTimeout(() => {
        finish(noReply('SEND_TIMEOUT'))
        this.channel.close()
      }, waitMs)
      this.consumer = (reply) => {
        const result = accept(reply)
        if (result) finish(result)
        else this.ctx.count('SEND_REPLY_UNEXPECTED')
      }
      this.onClosed = () => finish(noReply('SEND_CLOSED'))
      void this.channel.send(line)
    })
  }
}

export class PeerLink {
  private dial: Dial | null = null
  private session: Session | null = null
  private readonly waiters = new Set<(ready: Ready) => void>()
  private closed = false

  constructor(private readonly ctx: LinkContext) {}

  /** The open session, or one set up within `ms` on a connection found through the peer's topic. */
  ready(ms: number): Promise<Ready> {
    if (this.session && !this.session.channel.closed) return Promise.resolve({ ok: true, session: this.session })
    if (this.closed) return Promise.resolve({ ok: false, final: null })
    this.dial ??= this.ctx.swarm.dial(topicOf(this.ctx.peer.signPub), (conn) => this.connected(conn))
    return new Promise((resolve) => {
      const waiter = (ready: Ready) => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        resolve(ready)
      }
      const timer = setTimeout(() => waiter({ ok: false, final: null }), ms)
      this.waiters.add(waiter)
    })
  }

  /** Look the topic up again before a retry: the peer may have announced since. */
  refresh(): void {
    this.dial?.refresh()
  }

  async close(): Promise<void> {
    this.closed = true
    this.settle({ ok: false, final: null })
    this.session?.channel.close()
    this.session = null
    const dial = this.dial
    this.dial = null
    await dial?.close()
  }

  private settle(ready: Ready): void {
    for (const waiter of [...this.waiters]) waiter(ready)
  }

  private connected(conn: SwarmConnection): void {
    // One session per peer; another server on the topic is not needed (and may be an impostor).
    if (this.closed || (this.session && !this.session.channel.closed)) {
      conn.destroy()
      return
    }
    let session: Session | null = null
    const channel = new LineChannel(
      conn,
      (line) => {
        if (!line.ok) {
          this.ctx.count('SEND_REPLY_MALFORMED')
          if (!session) channel.close()
          return
        }
        const verdict = this.ctx.check(line.value)
        if (session) {
          if (verdict.ok) session.deliver(verdict.reply)
          else this.ctx.count(verdict.reason)
          return
        }
        clearTimeout(timer)
        session = this.handshaken(conn, channel, verdict)
      },
      () => {
        clearTimeout(timer)
        if (session && this.session === session) this.session = null
        session?.closed()
      },
    )
    const timer = setTimeout(() => channel.close(), this.ctx.handshakeMs)
    const hello = generateEncryptionKeyPair()
    // Our hello's ephemeralPub is never used (each message gets a fresh pair), so its private half goes at once.
    hello.privateKey.fill(0)
    const self = this.ctx.identity()
    void channel.send(buildHello(self, { ephemeralPub: encodeKey('x25519Spki', hello.publicKey), versions: this.ctx.offered }, { ts: this.ctx.now() }))
  }

  /** The first line on a fresh connection decides it: a verified hello-ack makes it the session. */
  private handshaken(conn: SwarmConnection, channel: LineChannel, verdict: ReplyVerdict): Session | null {
    if (!verdict.ok) {
      this.ctx.count(verdict.reason)
      channel.close()
      // Whoever signs as someone else is not the peer: never dial that key again.
      if (verdict.reason === 'SEND_REPLY_NOT_FROM_PEER') this.dial?.ban(conn)
      return null
    }
    const reply = verdict.reply
    if (reply.type === 'reject') {
      // The peer itself refused the hello (no common version): final, no retry helps.
      channel.close()
      this.settle({ ok: false, final: { ok: false, reply: 'reject', reason: reply.reason } })
      return null
    }
    if (reply.type !== 'hello-ack') {
      this.ctx.count('SEND_REPLY_UNEXPECTED')
      channel.close()
      return null
    }
    if (!this.ctx.accepted.has(reply.version)) {
      channel.close()
      this.settle({ ok: false, final: noReply('SEND_VERSION') })
      return null
    }
    if (this.session && !this.session.channel.closed) {
      // Another connection on the topic verified first.
      channel.close()
      return null
    }
    const session = new Session(channel, { version: reply.version, listenerEphemeralPub: reply.ephemeralPub }, this.ctx)
    this.session = session
    this.settle({ ok: true, session })
    return session
  }
}
