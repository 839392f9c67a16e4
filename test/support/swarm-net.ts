// Real Hyperswarm for the swarm tier (ENVIRONMENT.md "Hyperswarm without the internet"):
// a local testnet on loopback, swarms bound to 127.0.0.1 with firewalled:false, raw line
// peers that stand in for deployed plugins and impostors, teardown raced against a timeout.

import createTestnet from '@hyperswarm/testnet'
import { TIMED_OUT, within } from '../../src/swarm/deadline.ts'
import { LineChannel } from '../../src/swarm/line-channel.ts'
import { Swarm, type DhtNodeAddress, type SwarmConfig, type SwarmConnection } from '../../src/swarm/swarm.ts'

export interface TestNet {
  readonly config: SwarmConfig
  /** A new swarm on the testnet, closed with the net. */
  swarm(): Swarm
  /** Close every swarm (then the testnet, if this process runs it), each step raced against a timeout. */
  close(): Promise<void>
}

export async function startNet(): Promise<TestNet> {
  const testnet = await createTestnet(3, { host: '127.0.0.1' })
  const net = joinNet(testnet.bootstrap)
  return {
    ...net,
    close: async () => {
      await net.close()
      await within(testnet.destroy(), 5_000)
    },
  }
}

/** Swarms on a testnet another process runs (closing them leaves the testnet up). */
export function joinNet(bootstrap: DhtNodeAddress[]): TestNet {
  const config: SwarmConfig = { bootstrap, host: '127.0.0.1', firewalled: false, setupTimeoutMs: 5_000, closeTimeoutMs: 2_000 }
  const swarms: Swarm[] = []
  return {
    config,
    swarm: () => {
      const s = new Swarm(config)
      swarms.push(s)
      return s
    },
    close: async () => {
      await within(Promise.all(swarms.map((s) => s.close())), 10_000)
    },
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** One connection spoken to by hand: every line written and received is kept. */
export class RawPeer {
  readonly received: string[] = []
  private readonly channel: LineChannel
  private readonly waiting: ((line: string | null) => void)[] = []
  private read = 0
  closed = false

  /** `owner`: the swarm this connection alone uses, closed with it (as a deployed sender destroys its swarm). */
  constructor(
    readonly conn: SwarmConnection,
    private readonly owner?: Swarm,
  ) {
    this.channel = new LineChannel(
      conn,
      (line) => {
        if (!line.ok) return
        this.received.push(line.value)
        const waiter = this.waiting.shift()
        if (waiter) waiter(this.received[this.read++]!)
      },
      () => {
        this.closed = true
        for (const w of this.waiting.splice(0)) w(null)
      },
    )
  }

  send(line: string): Promise<boolean> {
    return this.channel.send(line)
  }

  /** The next line not yet read, or null if none arrives within `ms` (or the connection closes). */
  next(ms = 3_000): Promise<string | null> {
    if (this.read < this.received.length) return Promise.resolve(this.received[this.read++]!)
    if (this.closed) return Promise.resolve(null)
    return new Promise((resolve) => {
      const waiter = (line: string | null) => {
        clearTimeout(timer)
        resolve(line)
      }
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1)
        resolve(null)
      }, ms)
      this.waiting.push(waiter)
    })
  }

  /** Resolves once the connection is closed, or false after `ms`. */
  async waitClosed(ms = 3_000): Promise<boolean> {
    for (let waited = 0; !this.closed && waited < ms; waited += 20) await sleep(20)
    return this.closed
  }

  async close(): Promise<void> {
    this.channel.close()
    await this.owner?.close()
  }
}

/** Dial `topic` from a fresh swarm (a fresh Noise key, as deployed senders use) and take the first connection. */
export async function dialRaw(net: TestNet, topic: Buffer, ms = 5_000): Promise<RawPeer> {
  const swarm = net.swarm()
  let resolveConn!: (conn: SwarmConnection) => void
  const connected = new Promise<SwarmConnection>((resolve) => {
    resolveConn = resolve
  })
  swarm.dial(topic, resolveConn)
  const conn = await within(connected, ms)
  if (conn === TIMED_OUT) throw new Error(`no connection on topic ${topic.toString('hex').slice(0, 8)} within ${ms} ms`)
  return new RawPeer(conn, swarm)
}

/**
 * A hand-scripted server on `topic` (an impostor, or a stand-in peer): every line it
 * receives is kept, and `answer` says what it writes back to each.
 */
export async function serveScripted(
  net: TestNet,
  topic: Buffer,
  answer: (line: string, peer: RawPeer) => Promise<string[]> | string[],
): Promise<{ received: string[]; close(): Promise<void> }> {
  const received: string[] = []
  const served = await net.swarm().serve(topic, {
    onConnection: async (conn) => {
      const peer = new RawPeer(conn)
      for (let line = await peer.next(10_000); line !== null; line = await peer.next(10_000)) {
        received.push(line)
        for (const reply of await answer(line, peer)) await peer.send(reply)
      }
    },
  })
  return { received, close: () => served.close() }
}
