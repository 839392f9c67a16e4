// The topics a sidecar listens on (WIRE.md "Rotation"; SECURITY.md "Key Rotation"): its own,
// and during a rotation grace the previous one, answered by the retired identity so that a
// peer who has not heard of the rotation yet still reaches us and gets replies it can verify.
// Each topic has its own gate (whose `self` is that identity) and listener; their counters
// outlive them, so `status` still counts what a retired topic refused.

import type { AdmissionGate } from '../admission/gate.ts'
import { topicOf } from '../identity/ids.ts'
import type { Identity } from '../identity/keys.ts'
import type { Listener } from '../swarm/listener.ts'
import type { Swarm } from '../swarm/swarm.ts'

export interface ServedTopic {
  identity: Identity
  gate: AdmissionGate
  listener: Listener
  /** null for the current identity; the end of the grace for a retired one. */
  graceUntil: number | null
  /** On the DHT now; false while the announce is retried (no DHT reachable yet). */
  readonly announced: boolean
  close(): Promise<void>
}

export interface TopicView {
  topic: string
  shortId: string
  current: boolean
  graceUntil: number | null
  announced: boolean
}

export class ServedTopics {
  private readonly topics: ServedTopic[] = []
  /** Counters of topics already closed. */
  private readonly retiredCounters = new Map<string, number>()
  /** Open inbound connections over every topic (their keys are the listener's to know). */
  private inbound = 0

  constructor(
    private readonly swarm: Swarm,
    private readonly make: (identity: Identity) => { gate: AdmissionGate; listener: Listener },
  ) {}

  async serve(identity: Identity, graceUntil: number | null): Promise<void> {
    const { gate, listener } = this.make(identity)
    const served = await this.swarm.serve(topicOf(identity.signPub), {
      onConnection: (conn) => {
        this.inbound++
        conn.once('close', () => this.inbound--)
        listener.accept(conn)
      },
    })
    this.topics.push({
      identity,
      gate,
      listener,
      graceUntil,
      get announced() {
        return served.announced
      },
      close: async () => {
        listener.close()
        await served.close()
      },
    })
  }

  /** The topic of `identity` keeps serving until `graceUntil` (it was just rotated away from). */
  retire(identity: Identity, graceUntil: number): void {
    const topic = this.topics.find((t) => t.identity.signPub === identity.signPub)
    if (topic) topic.graceUntil = graceUntil
  }

  /** Stop every retired topic whose grace has ended at `now`. */
  async expire(now: number): Promise<void> {
    const ended = this.topics.filter((t) => t.graceUntil !== null && now >= t.graceUntil)
    for (const t of ended) {
      this.topics.splice(this.topics.indexOf(t), 1)
      this.fold(t)
      await t.close()
    }
  }

  view(current: Identity): TopicView[] {
    return this.topics.map((t) => ({
      topic: topicOf(t.identity.signPub).toString('hex'),
      shortId: t.identity.shortId,
      current: t.identity.signPub === current.signPub,
      graceUntil: t.graceUntil,
      announced: t.announced,
    }))
  }

  get inboundConnections(): number {
    return this.inbound
  }

  /** Peers (signing keys) with an authenticated inbound connection on any topic now. */
  connectedPeers(): string[] {
    const keys = new Set<string>()
    for (const t of this.topics) for (const key of t.listener.connectedKeys().keys()) keys.add(key)
    return [...keys].sort()
  }

  /** Gate and listener counters of every topic served since start, summed. */
  counters(): Map<string, number> {
    const sum = new Map(this.retiredCounters)
    for (const t of this.topics) for (const m of [t.gate.counters, t.listener.counters]) addInto(sum, m)
    return sum
  }

  async close(): Promise<void> {
    const all = this.topics.splice(0)
    await Promise.all(all.map((t) => t.close()))
  }

  private fold(t: ServedTopic): void {
    addInto(this.retiredCounters, t.gate.counters)
    addInto(this.retiredCounters, t.listener.counters)
  }
}

export function addInto(sum: Map<string, number>, counters: ReadonlyMap<string, number>): void {
  for (const [k, v] of counters) sum.set(k, (sum.get(k) ?? 0) + v)
}
