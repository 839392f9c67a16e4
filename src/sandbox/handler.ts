// The sidecar's sandbox handler (DESIGN.md "The path of one inbound message",
// "Capabilities → what the sandbox job does"; issue #4): every admitted log or inject
// runs in its own container through the narrowed proxy. Jobs are scheduled (cap,
// per-session order, bounded queue), served from the warm pool, and answered with the
// runner's text or a reason code. Only inject jobs get a model; a log job never does.

import Docker from 'dockerode'
import { sandboxPolicyFrom } from '../docker-proxy/sandbox-policy.ts'
import { mayUse } from '../friends/directory.ts'
import type { Logger } from '../log/logger.ts'
import type { ModelGateway } from '../model/gateway.ts'
import type { Policy } from '../policy/schema.ts'
import { refuse, WoprP2PError, type Verdict } from '../reasons.ts'
import { MAX_LINE_BYTES } from '../runner/protocol.ts'
import type { Handler, HandledMessage, HandlerResult } from '../swarm/listener.ts'
import { SandboxContainer } from './container.ts'
import { buildCreateBody } from './host-config.ts'
import { serveJob, type JobLine } from './job.ts'
import { SandboxPool } from './pool.ts'
import { JobScheduler } from './scheduler.ts'
import { MemoryTranscripts, type TranscriptStore } from './transcript.ts'

/** The proxy pins this API version; dockerode must speak it. */
const API_VERSION = 'v1.41'
/** A pool member older than this is replaced: nothing lives long, even unused. */
const DEFAULT_IDLE_MS = 5 * 60_000
/** All stdout lines of one job together: every model request repeats the conversation so far. */
const MAX_STDOUT_BYTES = 4 * MAX_LINE_BYTES

export type SandboxHandlerOptions = {
  /** The narrowed proxy's socket (the real engine's only in tests of the floor). */
  dockerSocket: string
  policy: Policy
  /** The exact seccomp profile text the proxy was started with. */
  seccompProfile: string
  /** The proxy's instance name: its label value (src/docker-proxy/sandbox-policy.ts). */
  instance?: string
  model?: ModelGateway | null
  logger?: Logger
  transcript?: TranscriptStore
  /** Pool members idle this long are recycled. */
  idleMs?: number
  /** The peer's grants now (a revoke after admission must stop a queued job); default: as admitted. */
  stillAllowed?: (admitted: HandledMessage) => boolean
}

export type SandboxStatus = {
  pool: { target: number; ready: number; live: number; warmServed: number; coldServed: number }
  running: number
  queued: number
  /** Outcomes by reason code; successes as OK_LOG / OK_INJECT. */
  counters: Record<string, number>
}

export interface SandboxHandler extends Handler {
  status(): SandboxStatus
  /** Finish every job already queued or running, then close; for a handler replaced by a new one. */
  retire(): Promise<void>
  close(): Promise<void>
}

type Pending = { admitted: HandledMessage; resolve: (r: HandlerResult) => void }

export async function startSandboxHandler(opts: SandboxHandlerOptions): Promise<SandboxHandler> {
  const { policy } = opts
  if (policy.sandbox.image === '') {
    // Fail closed: without a pinned image there is nothing safe to run a peer's message in.
    throw new WoprP2PError('SANDBOX_NO_IMAGE', 'no sandbox image is pinned (sandbox.image is empty)', 'build the sandbox image, then run `wopr-p2p sandbox pin --policy-dir <dir>` (--image names another)')
  }
  const docker = new Docker({ socketPath: opts.dockerSocket, version: API_VERSION })
  const body = buildCreateBody(sandboxPolicyFrom(policy.sandbox, opts.seccompProfile, opts.instance ?? 'default'))
  const pool = new SandboxPool({
    size: policy.sandbox.poolSize,
    idleMs: opts.idleMs ?? DEFAULT_IDLE_MS,
    launch: () => SandboxContainer.start(docker, body),
    ...(opts.logger ? { logger: opts.logger } : {}),
  })
  const { concurrency, queue } = policy.sandbox
  const scheduler = new JobScheduler<Pending>({ concurrency, perSession: queue.perSession, total: queue.total })
  const transcripts = opts.transcript ?? new MemoryTranscripts()
  const model = opts.model ?? null
  const counters = new Map<string, number>()
  const active = new Set<Promise<void>>()
  let closed = false

  function count(key: string): void {
    counters.set(key, (counters.get(key) ?? 0) + 1)
  }

  function answer(result: Verdict<string>, kind: HandledMessage['kind']): HandlerResult {
    count(result.ok ? `OK_${kind.toUpperCase()}` : result.reason)
    return result.ok ? { ok: true, text: result.value } : { ok: false, reason: result.reason }
  }

  function jobLine(a: HandledMessage): JobLine {
    const maxTextBytes = policy.sandbox.maxOutputBytes
    if (a.kind === 'log') return { type: 'job', kind: 'message', text: a.text, session: a.session, limits: { maxTextBytes } }
    return {
      type: 'job',
      kind: 'inject',
      text: a.text,
      session: a.session,
      systemPrompt: policy.sessions.systemPrompts[a.session] ?? policy.sessions.defaultSystemPrompt,
      transcript: transcripts.recent(a.session),
      limits: {
        maxTextBytes,
        maxSteps: policy.model.maxStepsPerTurn,
        shellTimeoutMs: policy.sandbox.shell.timeoutSeconds * 1000,
        shellOutputBytes: policy.sandbox.shell.maxOutputBytes,
      },
    }
  }

  async function run(a: HandledMessage): Promise<Verdict<string>> {
    let box: SandboxContainer
    try {
      box = await pool.take()
    } catch (err) {
      opts.logger?.error({ reason: 'SANDBOX_ENGINE', detail: (err as Error).message }, 'sandbox-start-failed')
      return refuse(closed ? 'SANDBOX_CLOSED' : 'SANDBOX_ENGINE')
    }
    try {
      const gateway = a.kind === 'inject' ? model : null
      return await serveJob(box, jobLine(a), {
        limitMs: policy.sandbox.timeoutSeconds * 1000,
        maxModelCalls: policy.model.maxStepsPerTurn,
        maxStdoutBytes: MAX_STDOUT_BYTES,
        // A message job cannot run tools, so nothing in it can meet the memory wall: answer on its line.
        settleOnExit: a.kind === 'inject',
        ...(gateway ? { model: (messages) => gateway.complete(a.peer.id, messages) } : {}),
      })
    } finally {
      pool.retire(box)
    }
  }

  const allowed = opts.stillAllowed ?? ((a: HandledMessage) => mayUse(a.peer, a.session, a.kind === 'log' ? 'message' : 'inject'))

  async function execute(p: Pending): Promise<void> {
    const { admitted: a } = p
    const started = performance.now()
    // Checked again when the job leaves the queue: a revoke while it waited reaches it.
    let result = allowed(a) ? await run(a).catch((err: Error) => refuse('SANDBOX_ENGINE', err.message)) : refuse('ADMIT_UNAUTHORIZED')
    if (closed && !result.ok) result = refuse('SANDBOX_CLOSED')
    if (result.ok && a.kind === 'inject') {
      transcripts.append(a.session, [
        { role: 'user', content: a.text },
        { role: 'assistant', content: result.value },
      ])
    }
    opts.logger?.info({ kind: a.kind, session: a.session, peer: a.peer.id.slice(0, 16), ok: result.ok, reason: result.ok ? undefined : result.reason, ms: Math.round(performance.now() - started) }, 'sandbox-job')
    p.resolve(answer(result, a.kind))
  }

  function pump(): void {
    let next
    while ((next = scheduler.next())) {
      const { session, job } = next
      const done: Promise<void> = execute(job).finally(() => {
        scheduler.done(session)
        active.delete(done)
        pump()
      })
      active.add(done)
    }
  }

  async function close(): Promise<void> {
    closed = true
    for (const { job } of scheduler.drain()) job.resolve(answer(refuse('SANDBOX_CLOSED'), job.admitted.kind))
    // Removing the pool's containers ends the running jobs too; they answer SANDBOX_CLOSED.
    await pool.close()
    await Promise.all(active)
  }

  return {
    handle(a) {
      if (closed) return Promise.resolve(answer(refuse('SANDBOX_CLOSED'), a.kind))
      // Capabilities again, at the job (DESIGN.md): a log grant never builds an inject job.
      if (!allowed(a)) return Promise.resolve(answer(refuse('ADMIT_UNAUTHORIZED'), a.kind))
      if (a.kind === 'inject' && !model) return Promise.resolve(answer(refuse('MODEL_NOT_CONFIGURED'), a.kind))
      return new Promise((resolve) => {
        const offered = scheduler.offer(a.session, { admitted: a, resolve })
        if (!offered.ok) return resolve(answer(offered, a.kind))
        pump()
      })
    },
    status() {
      return {
        pool: { target: policy.sandbox.poolSize, ready: pool.readyCount, live: pool.liveCount, warmServed: pool.served.warm, coldServed: pool.served.cold },
        running: scheduler.running,
        queued: scheduler.queued,
        counters: Object.fromEntries(counters),
      }
    },
    async retire() {
      // Queued jobs start as running ones end, so waiting on the running ones drains both.
      while (active.size > 0) await Promise.race(active)
      await close()
    },
    close,
  }
}
