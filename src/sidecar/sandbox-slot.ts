// The sidecar's one Handler in production: the sandbox handler built from the policy that is
// running now. A reload that changes the sandbox, model or session prompts builds a new handler
// and swaps it in; jobs already queued or running finish in the old one, which is closed after;
// the sessions' transcripts carry over. With no
// image pinned (or a model key file that cannot be read) peers are refused with a reason —
// there is never a path that handles peer input outside a sandbox.

import type { Logger } from '../log/logger.ts'
import { createModelGateway } from '../model/gateway.ts'
import { DEFAULT_POLICY, type Policy } from '../policy/schema.ts'
import { WoprP2PError } from '../reasons.ts'
import { startSandboxHandler, type SandboxHandler, type SandboxStatus } from '../sandbox/handler.ts'
import { MemoryTranscripts } from '../sandbox/transcript.ts'
import { TokenBudget } from '../model/budget.ts'
import type { HandledMessage, Handler, HandlerResult } from '../swarm/listener.ts'

export interface SandboxSlotOptions {
  /** The narrowed Docker proxy's socket. */
  dockerSocket: string
  /** Byte-identical to the proxy's profile, or every create is refused. */
  seccompProfile: string
  /** The proxy's instance name (its sandbox label value). */
  instance: string
  log: Logger
  /** Whether a queued job's peer may still use its session (live state, so a revoke reaches queued jobs). */
  stillAllowed?: (admitted: HandledMessage) => boolean
}

export type SandboxSlotStatus =
  | ({ state: 'ready'; image: string; model: boolean } & SandboxStatus)
  | { state: 'unavailable'; reason: string; detail: string }

type Slot = { handler: SandboxHandler; model: boolean } | { reason: WoprP2PError['code']; detail: string }

/** The policy sections a handler is built from; a reload that leaves them alone keeps the handler (and its warm pool). */
function sandboxInputs(p: Policy): string {
  return JSON.stringify([p.sandbox, p.model, p.sessions])
}

export class SandboxSlot implements Handler {
  private slot: Slot = { reason: 'SANDBOX_NO_IMAGE', detail: 'not started' }
  private inputs = ''
  private image = ''
  private building: Promise<void> = Promise.resolve()
  /** Replaced handlers finishing their jobs. */
  private readonly retiring = new Set<SandboxHandler>()
  /** Kept across rebuilds: a reload makes no session forget its earlier turns, and no peer its model spend. */
  private readonly transcripts = new MemoryTranscripts()
  private readonly budget = new TokenBudget(DEFAULT_POLICY.model.tokensPerPeer)

  constructor(private readonly o: SandboxSlotOptions) {}

  /** Build (or rebuild) the handler for `policy`; reloads are applied in order. */
  apply(policy: Policy): Promise<void> {
    this.building = this.building.then(() => this.rebuild(policy))
    return this.building
  }

  handle(admitted: HandledMessage): Promise<HandlerResult> {
    const slot = this.slot
    if ('handler' in slot) return slot.handler.handle(admitted)
    return Promise.resolve({ ok: false, reason: slot.reason })
  }

  status(): SandboxSlotStatus {
    const slot = this.slot
    if ('handler' in slot) return { state: 'ready', image: this.image, model: slot.model, ...slot.handler.status() }
    return { state: 'unavailable', reason: slot.reason, detail: slot.detail }
  }

  async close(): Promise<void> {
    await this.building
    const slot = this.slot
    this.slot = { reason: 'SANDBOX_CLOSED', detail: 'the sidecar is stopping' }
    // Stopping does not wait for old jobs: they end with SANDBOX_CLOSED, as the current ones do.
    const handlers = [...this.retiring, ...('handler' in slot ? [slot.handler] : [])]
    await Promise.all(handlers.map((h) => h.close()))
  }

  private async rebuild(policy: Policy): Promise<void> {
    const inputs = sandboxInputs(policy)
    if (inputs === this.inputs) return
    this.inputs = inputs
    const previous = this.slot
    this.slot = await this.build(policy)
    this.image = policy.sandbox.image
    if ('handler' in this.slot) this.o.log.info({ image: policy.sandbox.image, model: this.slot.model, pool: policy.sandbox.poolSize }, 'sandbox-ready')
    else this.o.log.warn({ reason: this.slot.reason, detail: this.slot.detail }, 'sandbox-unavailable')
    if ('handler' in previous) this.retire(previous.handler)
  }

  private retire(handler: SandboxHandler): void {
    this.retiring.add(handler)
    void handler.retire().finally(() => this.retiring.delete(handler))
  }

  private async build(policy: Policy): Promise<Slot> {
    if (policy.sandbox.image === '') {
      return { reason: 'SANDBOX_NO_IMAGE', detail: 'no sandbox image is pinned: build it, then run `wopr-p2p sandbox pin`' }
    }
    let model
    try {
      model = await createModelGateway(policy.model, { logger: this.o.log, budget: this.budget })
    } catch (err) {
      // Logs still run without a model; injects are then refused as unconfigured.
      this.o.log.error({ reason: (err as WoprP2PError).code ?? 'MODEL_NOT_CONFIGURED', detail: (err as Error).message }, 'model-unavailable')
      model = null
    }
    try {
      const handler = await startSandboxHandler({ ...this.o, logger: this.o.log, policy, model, transcript: this.transcripts })
      return { handler, model: model !== null }
    } catch (err) {
      return { reason: err instanceof WoprP2PError ? err.code : 'SANDBOX_ENGINE', detail: (err as Error).message }
    }
  }
}
