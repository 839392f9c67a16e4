// The sidecar daemon (DESIGN.md "Processes", "The path of one inbound message"; issue 3):
// identity, live peer state, replay store and admission wired to a Listener on our topic
// (and the previous one during a rotation grace), one Client for outbound sends, rotation
// notices retried until acknowledged, and the control socket the CLI verbs talk to.

import type { Server } from 'node:net'
import { join } from 'node:path'
import { AdmissionGate, type GatePolicy } from '../admission/gate.ts'
import { RateLimiter } from '../admission/rate-limit.ts'
import { clampP2PLimits } from '../admission/trust.ts'
import { serveControl } from '../control/socket.ts'
import { applyRotation, claimInvite, type Friend } from '../friends/model.ts'
import { mayUse } from '../friends/directory.ts'
import { PeerFiles } from '../friends/peer-files.ts'
import { LivePeerState } from '../friends/peer-state.ts'
import { initIdentity, readIdentity } from '../identity/identity-file.ts'
import { shortIdOf } from '../identity/ids.ts'
import { keyHistoryFile, liveRetired, markNotified, pruneHistory, type KeyHistory } from '../identity/key-history.ts'
import { loadIdentity, type Identity } from '../identity/keys.ts'
import { rotateIdentity } from '../identity/rotate.ts'
import { silentLogger, type Logger } from '../log/logger.ts'
import { gatePolicyOf, type Policy } from '../policy/schema.ts'
import { WoprP2PError } from '../reasons.ts'
import type { JsonFile } from '../store/json-file.ts'
import { ReplayStore } from '../store/replay-store.ts'
import { openStateDir } from '../store/secure-dir.ts'
import { Client, type ClientTiming } from '../swarm/client.ts'
import { Listener, type HandledMessage, type Handler, type ListenerHooks, type ListenerLimits } from '../swarm/listener.ts'
import { Swarm, type SwarmConfig } from '../swarm/swarm.ts'
import type { RotationReason } from '../wire/rotation.ts'
import type { Outbox } from '../wopr/outbox.ts'
import type { RotationScheduleStatus } from '../rotation/schedule.ts'
import type { SandboxSlotStatus } from './sandbox-slot.ts'
import { controlOps } from './control-ops.ts'
import { CONTROL_SOCKET, REPLAY_JOURNAL } from './files.ts'
import { wrapHandler } from './inbound.ts'
import { NoticeRetries, type PendingNotice } from './notice-retries.ts'
import { Operations } from './operations.ts'
import { RecursionGuard } from './recursion-guard.ts'
import { ServedTopics } from './served-topics.ts'

/** How often grace ends, expired state and due rotation notices are looked at. */
const TICK_MS = 5_000

export interface SidecarOptions {
  dataDir: string
  /** This agent's name in friend lines; friend request/accept refuse without one. */
  name?: string
  policy: Policy
  /** The sandbox. Absent: every log and inject is refused (fail closed). */
  handler?: Handler
  /** Overrides the policy's swarm section (tests use a local testnet on loopback). */
  swarm?: SwarmConfig
  now?: () => number
  log?: Logger
  /** When given, every exchange the handler completed is queued for WOPR's log. */
  outbox?: Outbox
  listenerLimits?: Partial<ListenerLimits>
  clientTiming?: Partial<ClientTiming>
  /** Parts the role runs around the daemon, shown in `status`. */
  reports?: { sandbox?: () => SandboxSlotStatus; rotation?: () => RotationScheduleStatus }
}

/** The policy's swarm section as a SwarmConfig (host:port strings were validated by the schema). */
export function swarmConfigOf(policy: Policy): SwarmConfig {
  const bootstrap = policy.swarm.bootstrap.map((hp) => {
    const at = hp.lastIndexOf(':')
    return { host: hp.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(hp.slice(at + 1)) }
  })
  return { ...(bootstrap.length > 0 ? { bootstrap } : {}), ...(policy.swarm.host !== '' ? { host: policy.swarm.host } : {}), firewalled: policy.swarm.firewalled }
}

export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  openStateDir(options.dataDir)
  const now = options.now ?? Date.now
  const sidecar = new Sidecar(options, loadOrCreateIdentity(options.dataDir, now()), now)
  try {
    await sidecar.start()
  } catch (err) {
    await sidecar.close()
    throw err
  }
  return sidecar
}

function loadOrCreateIdentity(dataDir: string, now: number): Identity {
  try {
    return readIdentity(dataDir)
  } catch (err) {
    if (err instanceof WoprP2PError && err.code === 'STORE_MISSING') return initIdentity(dataDir, { now })
    throw err
  }
}

export class Sidecar {
  readonly live: LivePeerState
  readonly guard = new RecursionGuard()
  readonly client: Client
  readonly topics: ServedTopics
  readonly retries = new NoticeRetries()
  readonly history: JsonFile<KeyHistory>
  readonly log: Logger
  /** The control verbs; also what a cron schedule or A2A tool calls. */
  readonly ops: Operations
  private current: Identity
  private policyNow: Policy
  private gatePolicy: GatePolicy
  private limiter: RateLimiter
  private readonly replay: ReplayStore
  private readonly swarm: Swarm
  private readonly handler: Handler | undefined
  private control: Server | null = null
  private ticker: NodeJS.Timeout | null = null
  private ticking: Promise<void> | null = null
  private noticesRunning: Promise<void> | null = null
  private closed = false

  constructor(
    readonly options: SidecarOptions,
    identity: Identity,
    readonly now: () => number,
  ) {
    this.current = identity
    this.log = options.log ?? silentLogger()
    this.policyNow = options.policy
    this.gatePolicy = gatePolicyOf(options.policy)
    this.limiter = new RateLimiter(clampP2PLimits(options.policy.admission.rate))
    this.live = new LivePeerState(new PeerFiles(options.dataDir))
    this.history = keyHistoryFile(options.dataDir)
    this.replay = ReplayStore.open(join(options.dataDir, REPLAY_JOURNAL), { now: now(), windowMs: this.gatePolicy.freshnessMs })
    this.swarm = new Swarm(options.swarm ?? swarmConfigOf(options.policy))
    this.handler = options.handler && wrapHandler(options.handler, { guard: this.guard, friendOf: (key) => this.friendOf(key), log: this.log, ...(options.outbox ? { outbox: options.outbox } : {}) })
    this.client = new Client({
      swarm: this.swarm,
      identity: () => this.current,
      replay: this.replay,
      freshnessMs: this.gatePolicy.freshnessMs,
      allowV1: this.gatePolicy.allowV1,
      now,
      timing: { injectMs: options.policy.swarm.injectTimeoutSeconds * 1000, ...options.clientTiming },
    })
    this.topics = new ServedTopics(this.swarm, (id) => this.listenerFor(id))
    this.ops = new Operations(this)
  }

  get identity(): Identity {
    return this.current
  }

  get policy(): Policy {
    return this.policyNow
  }

  get name(): string | undefined {
    return this.options.name
  }

  get handlerConfigured(): boolean {
    return this.handler !== undefined
  }

  async start(): Promise<void> {
    await this.topics.serve(this.current, null)
    for (const r of liveRetired(this.history.load(), this.now())) await this.topics.serve(loadIdentity(r.record), r.graceUntil)
    this.control = await serveControl(join(this.options.dataDir, CONTROL_SOCKET), controlOps(this.ops))
    this.ticker = setInterval(() => void this.tick(), TICK_MS)
    this.ticker.unref()
    this.log.info({ shortId: this.current.shortId, topics: this.topics.view(this.current).length, handler: this.handlerConfigured }, 'sidecar-started')
    void this.sendNotices()
  }

  /** A reloaded policy: admission limits at once; swarm and client settings at the next start. */
  applyPolicy(policy: Policy): void {
    const rateChanged = JSON.stringify(policy.admission.rate) !== JSON.stringify(this.policyNow.admission.rate)
    this.policyNow = policy
    this.gatePolicy = gatePolicyOf(policy)
    // A new limiter forgets recent events, so it is only made when the limits changed.
    if (rateChanged) this.limiter = new RateLimiter(clampP2PLimits(policy.admission.rate))
    this.log.info({ rateChanged }, 'policy-applied')
  }

  /**
   * New keys now; the old identity keeps answering on its topic until the grace ends; a
   * notice signed by the old key goes to every friend and grantee, and whoever is not
   * reached now is retried in the background with backoff until the grace ends.
   */
  async rotate(reason: RotationReason): Promise<{ old: Identity; graceUntil: number; peers: number }> {
    const old = this.current
    const now = this.now()
    const notify = [...new Set([...Object.keys(this.live.value.access.grants), ...this.live.value.friends.friends.map((f) => f.signPub)])]
    const graceMs = Math.round(this.policyNow.rotation.graceHours * 3_600_000)
    const rotated = rotateIdentity(this.options.dataDir, old, { reason, now, graceMs, notify })
    this.current = rotated.identity
    this.topics.retire(old, rotated.graceUntil)
    this.log.info({ oldShortId: old.shortId, shortId: rotated.identity.shortId, reason, graceUntil: rotated.graceUntil, peers: notify.length }, 'keys-rotated')
    await this.topics.serve(rotated.identity, null)
    // A round already under way was planned before this rotation: let it end, then run one that includes it.
    await this.noticesRunning
    await this.sendNotices()
    return { old, graceUntil: rotated.graceUntil, peers: notify.length }
  }

  /** Rotation notices not yet acknowledged, with when each is tried next. */
  pendingNotices(): (PendingNotice & { graceUntil: number; nextAt: number | null })[] {
    return liveRetired(this.history.load(), this.now()).flatMap((r) =>
      r.unnotified.map((peer) => {
        const p = { oldSignPub: r.record.signPub, peer }
        return { ...p, graceUntil: r.graceUntil, nextAt: this.retries.nextAt(p) }
      }),
    )
  }

  /** Periodic upkeep, also run at once by whoever moves an injected clock. */
  tick(): Promise<void> {
    // Chained, never joined: a round already running may have read the clock before it moved.
    const next = (this.ticking ?? Promise.resolve()).then(() => this.upkeep())
    this.ticking = next
    void next.finally(() => {
      if (this.ticking === next) this.ticking = null
    })
    return next
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.ticker) clearInterval(this.ticker)
    this.control?.close()
    await this.ticking
    await this.client.close()
    await this.topics.close()
    await this.swarm.close()
    await this.noticesRunning
    this.replay.close()
    this.log.info({ shortId: this.current.shortId }, 'sidecar-closed')
  }

  /** Whether the peer of an admitted log or inject may use its session with that capability now. */
  mayStillUse(a: HandledMessage): boolean {
    const entry = this.live.directory.resolve(a.peer.id, this.now())
    return entry !== null && mayUse(entry.peer, a.session, a.kind === 'log' ? 'message' : 'inject')
  }

  friendOf(signPub: string): Friend | null {
    return this.live.value.friends.friends.find((f) => f.signPub === signPub) ?? null
  }

  private async upkeep(): Promise<void> {
    const now = this.now()
    try {
      await this.topics.expire(now)
      const history = this.history.load()
      const pruned = pruneHistory(history, now)
      if (pruned.retired.length !== history.retired.length) this.history.save(pruned)
      this.live.prune(now)
      await this.sendNotices()
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'upkeep-failed')
    }
  }

  /** One round over the due notices; a round already running is joined, not doubled. */
  private sendNotices(): Promise<void> {
    this.noticesRunning ??= this.noticeRound()
      .catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'rotation-notices-failed'))
      .finally(() => {
        this.noticesRunning = null
      })
    return this.noticesRunning
  }

  private async noticeRound(): Promise<void> {
    if (this.closed) return
    const retired = liveRetired(this.history.load(), this.now())
    const pending = this.pendingNotices()
    this.retries.keepOnly(pending)
    await Promise.all(
      this.retries.due(pending, this.now()).map(async (p) => {
        const rotation = retired.find((r) => r.record.signPub === p.oldSignPub)!.rotation
        const known = this.live.value.peers.peers[p.peer]
        const result = await this.client.keyRotation({ signPub: p.peer, ...(known ? { encryptPub: known.encryptPub } : {}) }, rotation)
        if (result.ok) {
          this.history.save(markNotified(this.history.load(), p.oldSignPub, p.peer))
          this.retries.settled(p)
          this.log.info({ peer: shortIdOf(p.peer) }, 'rotation-notice-acked')
        } else {
          this.retries.failed(p, this.now())
          this.log.warn({ peer: shortIdOf(p.peer), reason: result.reply === 'none' ? result.error : 'SIDECAR_PEER_REFUSED' }, 'rotation-notice-failed')
        }
      }),
    )
  }

  private listenerFor(identity: Identity): { gate: AdmissionGate; listener: Listener } {
    const sidecar = this
    const gate = new AdmissionGate({
      self: { signPub: identity.signPub, encryptPrivateRaw: identity.encryptPrivateRaw },
      directory: () => this.live.directory,
      issuedInvite: (nonce) => this.live.value.access.invites.find((i) => i.nonce === nonce),
      replay: this.replay,
      // Getters: a policy reload reaches gates already serving.
      get limiter() {
        return sidecar.limiter
      },
      get policy() {
        return sidecar.gatePolicy
      },
      now: this.now,
    })
    const hooks: ListenerHooks = {
      claimed: async (a) => {
        this.live.update((s) => claimInvite(s, a.invite.nonce, { signPub: a.from, encryptPub: a.encryptPub }, this.now()))
        this.log.info({ peer: shortIdOf(a.from), sessions: a.invite.ses.length }, 'invite-claimed')
      },
      rotated: async (a) => {
        this.live.update((s) => applyRotation(s, a.rotation, a.validUntil))
        this.log.info({ peer: shortIdOf(a.rotation.oldSignPub), newPeer: shortIdOf(a.rotation.newSignPub), validUntil: a.validUntil }, 'peer-rotated')
      },
    }
    const listener = new Listener({
      gate,
      identity,
      hooks,
      now: this.now,
      ...(this.handler ? { handler: this.handler } : {}),
      ...(this.options.listenerLimits ? { limits: this.options.listenerLimits } : {}),
    })
    return { gate, listener }
  }
}
