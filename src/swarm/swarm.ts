// The only importer of hyperswarm and hyperdht (DESIGN.md "Processes"; WIRE.md "Transport
// and framing"; ENVIRONMENT.md "Hyperswarm without the internet"): every swarm gets its own
// DHT on the configured host, firewall decisions are synchronous, destroy races a timeout.

import DHT, { type DhtKeyPair, type DhtNodeAddress } from 'hyperdht'
import Hyperswarm, { type PeerDiscoverySession } from 'hyperswarm'
import { WoprP2PError } from '../reasons.ts'
import { TIMED_OUT, within } from './deadline.ts'

export type { DhtNodeAddress } from 'hyperdht'

export interface SwarmConfig {
  /** DHT bootstrap nodes; omitted means hyperdht's public ones. */
  bootstrap?: readonly DhtNodeAddress[]
  /** Address the DHT binds to: '127.0.0.1' in tests and the demo (0.0.0.0 latches onto other interfaces). */
  host?: string
  /** false where peers are directly reachable (loopback, demo networks); omitted lets hyperdht detect it. */
  firewalled?: boolean
  /** serve() resolves unannounced (and keeps retrying) when the topic is not announced within this. */
  setupTimeoutMs?: number
  /** Pause between announce attempts while the DHT is unreachable. */
  announceRetryMs?: number
  /** Each swarm's destroy() is raced against this, then forced. */
  closeTimeoutMs?: number
}

/** The part of a Noise secret stream the listener and the client use. */
export interface SwarmConnection {
  readonly remotePublicKey: Buffer
  readonly destroyed: boolean
  write(data: Buffer): boolean
  destroy(): void
  on(event: 'data', listener: (chunk: Buffer) => void): unknown
  on(event: 'drain' | 'close', listener: () => void): unknown
  once(event: 'drain' | 'close', listener: () => void): unknown
  off(event: 'drain' | 'close', listener: () => void): unknown
}

export interface ServeOptions {
  onConnection: (conn: SwarmConnection) => void
  /** Noise key pair of this topic's server; a fresh one by default, as deployed agents do. */
  keyPair?: DhtKeyPair
  /** Open connections past which new ones are refused before any byte is read. */
  maxConnections?: number
}

export interface Served {
  readonly topic: Buffer
  /** The topic is on the DHT; false while it is still being retried. */
  readonly announced: boolean
  close(): Promise<void>
}

export interface Dial {
  /** Look the topic up again: a peer that announced after the last lookup is only found this way. */
  refresh(): void
  /** Never connect to this remote key again from this swarm: it answered as someone it is not. */
  ban(conn: SwarmConnection): void
  /** Stop looking up the topic; open connections are the caller's to destroy. */
  close(): Promise<void>
}

const DEFAULT_SETUP_TIMEOUT_MS = 15_000
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000
const DEFAULT_MAX_CONNECTIONS = 512
const DEFAULT_ANNOUNCE_RETRY_MS = 30_000

/**
 * One server swarm per served topic, so a connection's topic — and with it the identity
 * that must sign the replies (own key, or the previous key during a rotation grace) —
 * is known from the swarm it arrived on; a server never learns which topic a client
 * looked up. One client swarm for every outbound dial, never listening.
 */
export class Swarm {
  private readonly servers = new Set<Hyperswarm>()
  private client: Hyperswarm | null = null
  private readonly dials = new Map<string, (conn: SwarmConnection) => void>()
  private closed = false

  constructor(private readonly config: SwarmConfig = {}) {}

  /**
   * Announce `topic` as server only (WIRE.md) and hand each accepted connection to onConnection.
   * Resolves once announced, or after the set-up time with `announced` false: the sidecar must
   * come up without a reachable DHT (first boot, no network yet), so it keeps trying, each time
   * on a fresh DHT node, every `announceRetryMs` until it is announced or closed.
   */
  async serve(topic: Buffer, opts: ServeOptions): Promise<Served> {
    let current: Hyperswarm | null = null
    let retry: NodeJS.Timeout | null = null
    let closed = false
    const attempt = async (): Promise<void> => {
      const server = this.announce(topic, opts)
      this.servers.add(server)
      if ((await within(server.join(topic, { server: true, client: false }).flushed(), this.setupTimeoutMs)) === true && !closed) {
        current = server
        return
      }
      this.servers.delete(server)
      await this.destroy(server)
      if (!closed) retry = setTimeout(() => void attempt(), this.config.announceRetryMs ?? DEFAULT_ANNOUNCE_RETRY_MS).unref()
    }
    await attempt()
    return {
      topic,
      get announced() {
        return current !== null
      },
      close: async () => {
        closed = true
        if (retry) clearTimeout(retry)
        const server = current
        current = null
        if (server) {
          this.servers.delete(server)
          await this.destroy(server)
        }
      },
    }
  }

  /** One server swarm for `topic` whose firewall enforces the connection cap. */
  private announce(topic: Buffer, opts: ServeOptions): Hyperswarm {
    const maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS
    const firewall = (remotePublicKey: Buffer): boolean => {
      if (server.connections.size < maxConnections) return false
      // Hyperswarm bans a refused key for the swarm's life; a capacity refusal must not
      // lock a sidecar (whose key is stable) out once the load has passed.
      const key = remotePublicKey.toString('hex')
      queueMicrotask(() => server.peers.get(key)?.ban(false))
      return true
    }
    const server = this.create({ firewall, ...(opts.keyPair ? { keyPair: opts.keyPair } : {}) })
    server.on('connection', (conn) => {
      conn.on('error', ignore)
      opts.onConnection(conn)
    })
    return server
  }

  /** Look `topic` up as client only (WIRE.md) and hand each connection found through it to onConnection. */
  dial(topic: Buffer, onConnection: (conn: SwarmConnection) => void): Dial {
    const client = this.clientSwarm()
    const key = topic.toString('hex')
    this.dials.set(key, onConnection)
    let session: PeerDiscoverySession | null = client.join(topic, { server: false, client: true })
    return {
      refresh: () => {
        session?.refresh().catch(ignore)
      },
      ban: (conn) => {
        client.peers.get(conn.remotePublicKey.toString('hex'))?.ban(true)
        conn.destroy()
      },
      close: async () => {
        if (this.dials.get(key) === onConnection) this.dials.delete(key)
        const ending = session
        session = null
        await ending?.destroy().catch(ignore)
      },
    }
  }

  /** Destroy every swarm, each raced against the close timeout; the swarm cannot be reused. */
  async close(): Promise<void> {
    this.closed = true
    const all = [...this.servers, ...(this.client ? [this.client] : [])]
    this.servers.clear()
    this.client = null
    this.dials.clear()
    await Promise.all(all.map((s) => this.destroy(s)))
  }

  private get setupTimeoutMs(): number {
    return this.config.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS
  }

  private clientSwarm(): Hyperswarm {
    if (this.client) return this.client
    const client = this.create({})
    client.on('connection', (conn, info) => {
      conn.on('error', ignore)
      // A remote key serves one topic; the first one we are dialling claims the connection.
      const route = info.topics.map((t) => this.dials.get(t.toString('hex'))).find((r) => r !== undefined)
      if (route) route(conn)
      else conn.destroy()
    })
    this.client = client
    return client
  }

  private create(opts: { keyPair?: DhtKeyPair; firewall?: (remotePublicKey: Buffer) => boolean }): Hyperswarm {
    if (this.closed) throw new WoprP2PError('STATE', 'the swarm was closed', 'create a new Swarm')
    const { bootstrap, host, firewalled } = this.config
    const dht = new DHT({
      ...(bootstrap ? { bootstrap } : {}),
      ...(host !== undefined ? { host } : {}),
      ...(firewalled !== undefined ? { firewalled } : {}),
    })
    return new Hyperswarm({ ...opts, dht })
  }

  /** An undestroyed swarm keeps the process alive, so a slow destroy is forced. */
  private async destroy(swarm: Hyperswarm): Promise<void> {
    const ms = this.config.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS
    if ((await within(swarm.destroy().catch(ignore), ms)) === TIMED_OUT) await within(swarm.destroy({ force: true }).catch(ignore), ms)
  }
}

function ignore(): void {}
