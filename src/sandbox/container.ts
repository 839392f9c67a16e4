// One sandbox container through dockerode (DESIGN.md "The sandbox"; issue #4 "The
// sidecar's sandbox handler"): create → attach (hijacked, demultiplexed) → start, then
// stdio for the RPC, a wall-clock deadline that kills, the exit state, and a removal
// that always happens. In production the socket is the narrowed proxy's, so every call
// here has exactly the shape the proxy accepts (src/docker-proxy/routes.ts).

import { PassThrough, type Duplex } from 'node:stream'
import type Docker from 'dockerode'
import { WoprP2PError } from '../reasons.ts'

/**
 * Attach as the proxy allows it: exactly the allowed query (`_query`) and no body
 * (`_body: {}`; dockerode otherwise sends its options as JSON). `stdin: false` makes
 * dockerode end the request so the headers leave at all; the socket it returns stays
 * writable, and the query attaches the container's stdin.
 */
export const ATTACH_OPTIONS = {
  hijack: true,
  stdin: false,
  _query: { stream: true, stdin: true, stdout: true, stderr: true },
  _body: {},
} as unknown as Docker.ContainerAttachOptions

/** stderr is kept only to classify a runner that died (and for tests); never logged, never sent to a peer. */
const STDERR_KEEP_BYTES = 16 * 1024

export type ContainerExit = {
  statusCode: number
  /** Killed by our deadline, not ended by itself. */
  killedAtLimit: boolean
  /** The engine saw the memory cgroup's OOM killer act in this container. */
  oomKilled: boolean
}

export class SandboxContainer {
  /** The runner's stdout, demultiplexed; ends when the container does. */
  readonly stdout = new PassThrough()
  readonly startedAt = performance.now()
  private stderrKept = ''
  private ended = false
  private killedAtLimit = false
  private deadlineTimer: NodeJS.Timeout | undefined
  private exitPromise: Promise<ContainerExit> | undefined
  private removePromise: Promise<void> | undefined

  private constructor(
    private readonly container: Docker.Container,
    private readonly stdio: Duplex,
  ) {}

  /** Create, attach before start (so no output is missed), start. A failure removes what was made, then throws SANDBOX_ENGINE. */
  static async start(docker: Docker, body: object): Promise<SandboxContainer> {
    let container: Docker.Container
    try {
      // _query/_body: dockerode would otherwise copy the whole body into the query string, which the proxy refuses.
      container = await docker.createContainer({ _query: {}, _body: body } as unknown as Docker.ContainerCreateOptions)
    } catch (err) {
      throw engineError('create', err)
    }
    try {
      const stdio = (await container.attach(ATTACH_OPTIONS)) as unknown as Duplex
      const box = new SandboxContainer(container, stdio)
      const stderr = new PassThrough()
      stderr.on('data', (c: Buffer) => box.keepStderr(c))
      docker.modem.demuxStream(stdio, box.stdout, stderr)
      const end = () => {
        box.ended = true
        box.stdout.end()
      }
      stdio.on('end', end)
      stdio.on('close', end)
      stdio.on('error', end)
      await container.start()
      return box
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined)
      throw engineError('attach/start', err)
    }
  }

  get id(): string {
    return this.container.id
  }

  /** The attach stream ended: the container is gone or going, and can serve nothing. */
  get exited(): boolean {
    return this.ended
  }

  get stderrText(): string {
    return this.stderrKept
  }

  write(text: string): void {
    if (!this.ended) this.stdio.write(text)
  }

  /** Half-close the attach: the runner's stdin reaches EOF (StdinOnce). */
  endInput(): void {
    this.stdio.end()
  }

  /** Kill the container `ms` from now unless it has exited by then (the wall-clock limit). */
  deadline(ms: number): void {
    clearTimeout(this.deadlineTimer)
    this.deadlineTimer = setTimeout(() => {
      this.killedAtLimit = true
      this.container.kill().catch(() => undefined)
    }, ms)
  }

  kill(): void {
    this.container.kill().catch(() => undefined)
  }

  /** Wait for the container to stop, then read how it ended. Memoised. */
  exit(): Promise<ContainerExit> {
    this.exitPromise ??= (async () => {
      try {
        const { StatusCode } = (await this.container.wait()) as { StatusCode: number }
        clearTimeout(this.deadlineTimer)
        const { State } = await this.container.inspect()
        return { statusCode: StatusCode, killedAtLimit: this.killedAtLimit, oomKilled: State.OOMKilled === true }
      } catch (err) {
        throw engineError('wait/inspect', err)
      }
    })()
    return this.exitPromise
  }

  /** Force-remove (kills if still running). Never throws; memoised, so every path may call it. */
  remove(): Promise<void> {
    this.removePromise ??= (async () => {
      clearTimeout(this.deadlineTimer)
      this.stdio.destroy()
      await this.container.remove({ force: true }).catch(() => undefined)
    })()
    return this.removePromise
  }

  private keepStderr(chunk: Buffer): void {
    if (this.stderrKept.length < STDERR_KEEP_BYTES) this.stderrKept += chunk.toString('utf8', 0, STDERR_KEEP_BYTES - this.stderrKept.length)
  }
}

/** The engine's (or the proxy's) message is kept: it names the refusal reason, never secrets. */
function engineError(step: string, err: unknown): WoprP2PError {
  const e = err as { statusCode?: number; json?: { message?: string }; message?: string }
  const why = e.json?.message ?? e.message ?? String(err)
  return new WoprP2PError('SANDBOX_ENGINE', `sandbox ${step} failed${e.statusCode ? ` (${e.statusCode})` : ''}: ${why.slice(0, 300)}`, 'check that the docker proxy is running and the sandbox image is pinned in both')
}
