// Sandbox containers straight on the engine socket for the engine tier (DESIGN.md
// "The sandbox"): the hardened body from src/sandbox/host-config.ts, our labels,
// stdio over a hijacked attach, a wall-clock limit with kill, inspect, remove.
// The sidecar's real handler goes through the proxy; this is the test's stand-in.

import { readFileSync } from 'node:fs'
import { PassThrough, type Duplex } from 'node:stream'
import Docker from 'dockerode'
import { DEFAULT_LIMITS, type SandboxPolicy } from '../../src/docker-proxy/create-policy.ts'
import { buildCreateBody } from '../../src/sandbox/host-config.ts'
import { sandboxImage } from './sandbox-image.ts'

export const ENGINE_SOCKET = '/var/run/docker.sock'
export const SECCOMP_PROFILE = readFileSync(new URL('../../policies/seccomp.json', import.meta.url), 'utf8')
const LABEL = { key: 'wopr-p2p.sandbox', value: 'test' } as const
/** Only this suite's containers carry it, so teardown never touches another suite's. */
const SUITE_LABEL = { [`${LABEL.key}.suite`]: 'sandbox-engine' }

/** Throws, never skips, when the engine is unreachable: this tier must fail on a machine without one. */
export async function connectEngine(): Promise<Docker> {
  const engine = new Docker({ socketPath: ENGINE_SOCKET })
  try {
    await engine.ping()
  } catch (e) {
    throw new Error(`no Docker engine at ${ENGINE_SOCKET} (${(e as Error).message}); run scripts/provision-docker.sh as root`)
  }
  return engine
}

export type SandboxEnv = { engine: Docker; imageId: string; policy: SandboxPolicy }
let env: Promise<SandboxEnv> | undefined

/** The engine, the freshly built image and the production policy, once per process; leftovers of an earlier run removed. */
export function sandboxEnv(): Promise<SandboxEnv> {
  env ??= (async () => {
    const engine = await connectEngine()
    const imageId = await sandboxImage()
    await removeSuiteContainers(engine)
    return { engine, imageId, policy: sandboxPolicy(imageId) }
  })()
  return env
}

export function sandboxPolicy(imageId: string, seccompProfile = SECCOMP_PROFILE): SandboxPolicy {
  return { imageId, seccompProfile, ...DEFAULT_LIMITS, label: { ...LABEL } }
}

export async function removeSuiteContainers(engine: Docker): Promise<void> {
  const mine = await engine.listContainers({ all: true, filters: { label: [`${LABEL.key}.suite=sandbox-engine`] } })
  await Promise.all(mine.map((c) => engine.getContainer(c.Id).remove({ force: true }).catch(() => undefined)))
}

export type Overrides = { entrypoint?: string[]; cmd?: string[] }

/** One started container with its stdio, removed by `close` whatever happened. */
export class Sandbox {
  readonly stdout = new PassThrough()
  readonly stderr = new PassThrough()
  private stderrText = ''

  private constructor(
    readonly engine: Docker,
    readonly container: Docker.Container,
    private readonly stdin: Duplex,
  ) {
    this.stderr.on('data', (c: Buffer) => {
      if (this.stderrText.length < 64 * 1024) this.stderrText += c.toString('utf8')
    })
  }

  static async start(engine: Docker, policy: SandboxPolicy, overrides: Overrides = {}): Promise<Sandbox> {
    const body: Record<string, unknown> = { ...buildCreateBody(policy, SUITE_LABEL) }
    if (overrides.entrypoint) body.Entrypoint = overrides.entrypoint
    if (overrides.cmd) body.Cmd = overrides.cmd
    // _query/_body: dockerode would otherwise also copy the whole body into the query string.
    const container = await engine.createContainer({ _query: {}, _body: body } as unknown as Docker.ContainerCreateOptions)
    try {
      // Attach before start so not a byte of output is missed.
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex
      const box = new Sandbox(engine, container, stream)
      engine.modem.demuxStream(stream, box.stdout, box.stderr)
      stream.on('end', () => {
        box.stdout.end()
        box.stderr.end()
      })
      await container.start()
      return box
    } catch (e) {
      await container.remove({ force: true }).catch(() => undefined)
      throw e
    }
  }

  get id(): string {
    return this.container.id
  }

  get stderrSoFar(): string {
    return this.stderrText
  }

  write(text: string): void {
    this.stdin.write(text)
  }

  /** Half-close the attach: the container's stdin reaches EOF (StdinOnce). */
  endInput(): void {
    this.stdin.end()
  }

  /** Wait for exit; past `limitMs` the container is killed (the sidecar's wall-clock limit). */
  async wait(limitMs: number): Promise<{ statusCode: number; killedAtLimit: boolean; state: Docker.ContainerInspectInfo['State'] }> {
    let killedAtLimit = false
    const timer = setTimeout(() => {
      killedAtLimit = true
      this.container.kill().catch(() => undefined)
    }, limitMs)
    try {
      const { StatusCode } = (await this.container.wait()) as { StatusCode: number }
      const { State } = await this.container.inspect()
      return { statusCode: StatusCode, killedAtLimit, state: State }
    } finally {
      clearTimeout(timer)
    }
  }

  async close(): Promise<void> {
    this.stdin.destroy()
    await this.container.remove({ force: true }).catch(() => undefined)
  }
}

/** Collect a stream to the end (bounded), for containers that only print. */
export function collect(stream: PassThrough, maxBytes = 1 << 20): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    stream.on('data', (c: Buffer) => {
      if (text.length < maxBytes) text += c.toString('utf8')
    })
    stream.on('end', () => resolve(text))
  })
}

export type CommandRun = { stdout: string; stderr: string; statusCode: number; killedAtLimit: boolean; state: Docker.ContainerInspectInfo['State'] }

/**
 * Run `argv` as the container's entrypoint (same hardening, stdin closed at once),
 * killed `limitMs` after it was created. `whileRunning` sees the live container,
 * e.g. to read its cgroup from the host.
 */
export async function runCommand(
  engine: Docker,
  policy: SandboxPolicy,
  argv: string[],
  opts: { limitMs: number; whileRunning?: (box: Sandbox) => Promise<void> },
): Promise<CommandRun> {
  const started = performance.now()
  const box = await Sandbox.start(engine, policy, { entrypoint: argv, cmd: [] })
  try {
    box.endInput()
    const stdout = collect(box.stdout)
    const stderr = collect(box.stderr)
    await opts.whileRunning?.(box)
    // The limit counts from the start, not from when `whileRunning` is done.
    const exit = await box.wait(Math.max(0, opts.limitMs - (performance.now() - started)))
    return { stdout: await stdout, stderr: await stderr, ...exit }
  } finally {
    await box.close()
  }
}

/** A cgroup v1 file of a running container, read from the host (cgroupfs driver). */
export function hostCgroupFile(controller: string, id: string, file: string): string {
  return readFileSync(`/sys/fs/cgroup/${controller}/docker/${id}/${file}`, 'utf8')
}
