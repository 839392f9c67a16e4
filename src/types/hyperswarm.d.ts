// Minimal typings for the parts of hyperswarm, hyperdht and @hyperswarm/testnet this
// project uses (the packages ship none). Only src/swarm/swarm.ts imports the first
// two (it re-exports the types others need); the testnet is for tests.

declare module 'hyperdht' {
  import type { EventEmitter } from 'node:events'

  export interface DhtKeyPair {
    publicKey: Buffer
    secretKey: Buffer
  }

  export interface DhtNodeAddress {
    host: string
    port: number
  }

  export interface DhtOptions {
    bootstrap?: readonly DhtNodeAddress[]
    /** Address the UDP sockets bind to. */
    host?: string
    /** false: reachable without hole punching (loopback, demo networks). */
    firewalled?: boolean
  }

  /** The Noise-authenticated, encrypted stream of one connection (@hyperswarm/secret-stream). */
  export interface NoiseSecretStream extends EventEmitter {
    readonly remotePublicKey: Buffer
    readonly destroyed: boolean
    write(data: Buffer | string): boolean
    destroy(err?: Error): void
  }

  export default class DHT extends EventEmitter {
    constructor(opts?: DhtOptions)
    destroy(opts?: { force?: boolean }): Promise<void>
  }
}

declare module 'hyperswarm' {
  import type { EventEmitter } from 'node:events'
  import type DHT from 'hyperdht'
  import type { DhtKeyPair, NoiseSecretStream } from 'hyperdht'

  export interface PeerInfo {
    readonly publicKey: Buffer
    /** Topics this peer was discovered on (client side only). */
    readonly topics: Buffer[]
    ban(banned: boolean): void
  }

  export interface PeerDiscoverySession {
    /** Resolves false when the announce or lookup failed. */
    flushed(): Promise<boolean>
    refresh(opts?: { client?: boolean; server?: boolean }): Promise<unknown>
    destroy(): Promise<void>
  }

  export interface HyperswarmOptions {
    keyPair?: DhtKeyPair
    dht?: DHT
    /** Runs on the server after the first Noise message; must be synchronous (true = refuse). */
    firewall?: (remotePublicKey: Buffer) => boolean
  }

  export default class Hyperswarm extends EventEmitter {
    constructor(opts?: HyperswarmOptions)
    readonly connections: Set<NoiseSecretStream>
    readonly peers: Map<string, PeerInfo>
    join(topic: Buffer, opts?: { server?: boolean; client?: boolean }): PeerDiscoverySession
    leave(topic: Buffer): Promise<void>
    destroy(opts?: { force?: boolean }): Promise<void>
    on(event: 'connection', listener: (conn: NoiseSecretStream, info: PeerInfo) => void): this
  }
}

declare module '@hyperswarm/testnet' {
  import type { DhtNodeAddress } from 'hyperdht'

  export interface Testnet {
    readonly bootstrap: DhtNodeAddress[]
    destroy(): Promise<void>
  }

  export default function createTestnet(size?: number, opts?: { host?: string; port?: number }): Promise<Testnet>
}
