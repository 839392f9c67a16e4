// Request/answer over Node's IPC channel between the swarm bench and its child processes.
// Every measured party runs in its own process (its own event loop), so the parent only
// orchestrates: it sends `{ id, op, args }` and gets `{ id, ok, value | error }` back.

import { build } from 'esbuild'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { once } from 'node:events'
import { TIMED_OUT, within } from '../../src/swarm/deadline.ts'

type Request = { id: number; op: string; args: unknown }
type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }
export type Ops = Record<string, (args: never) => unknown>

const READY = 'ready'
const STOP = 'stop'

/** The parent's handle on one child entry started with tsx. */
export class BenchChild {
  private next = 0
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (m: Answer) => {
      const w = this.waiting.get(m.id)
      if (!w) return
      this.waiting.delete(m.id)
      if (m.ok) w.resolve(m.value)
      else w.reject(new Error(`${label}: ${m.error}`))
    })
    child.once('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${label} exited with ${code}`))
      this.waiting.clear()
    })
  }

  /**
   * Fork `entry` with `config` as argv[2] (JSON) and wait until it answers requests. The entry is
   * bundled first and run as plain JavaScript, as the image runs the CLI (scripts/image/bundle.mjs):
   * a TypeScript loader would add its own thread and memory to every figure measured here.
   */
  static async start(label: string, entry: URL, config: unknown, nodeFlags: string[] = [], ms = 30_000): Promise<BenchChild> {
    const child = fork(await bundled(entry, label), [JSON.stringify(config)], { execArgv: nodeFlags, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m) => m === READY && resolve())
      child.once('exit', (code) => reject(new Error(`${label} exited with ${code} before it was ready`)))
    })
    if ((await within(ready, ms)) === TIMED_OUT) {
      child.kill('SIGKILL')
      throw new Error(`${label} was not ready within ${ms} ms`)
    }
    return new BenchChild(label, child)
  }

  call<T>(op: string, args: unknown = {}): Promise<T> {
    const id = ++this.next
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.child.send({ id, op, args } satisfies Request)
    })
  }

  /** Ask the child to close and exit; one that does not in time is ended by its pid (it is ours). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = once(this.child, 'exit')
    this.child.send(STOP)
    if ((await within(exited, 10_000)) === TIMED_OUT) this.child.kill('SIGKILL')
  }
}

/** Two levels below the root, like the image's bundle, so `../../policies/` still resolves; packages stay in node_modules. */
const bundles = new Map<string, Promise<string>>()
function bundled(entry: URL, label: string): Promise<string> {
  // Children started from one entry (the two raw peers, say) share one bundle.
  let made = bundles.get(entry.href)
  if (!made) {
    const outfile = fileURLToPath(new URL(`../.bundle/${label}.mjs`, import.meta.url))
    made = build({ entryPoints: [fileURLToPath(entry)], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' }).then(() => outfile)
    bundles.set(entry.href, made)
  }
  return made
}

/** The child's side: answer each request with `ops[op](args)`; on stop (or a vanished parent) close and exit. */
export function answerParent(ops: Ops, close: () => Promise<void>): void {
  const send = (m: Answer | string) => process.send!(m)
  process.on('message', async (m: Request | string) => {
    if (m === STOP) {
      await close()
      process.exit(0)
    }
    if (typeof m === 'string') return
    const op = ops[m.op]
    try {
      if (!op) throw new Error(`unknown op ${m.op}`)
      send({ id: m.id, ok: true, value: await op(m.args as never) })
    } catch (err) {
      send({ id: m.id, ok: false, error: (err as Error).message })
    }
  })
  // A bench that died mid-run must not leave daemons on the testnet behind.
  process.on('disconnect', () => process.exit(1))
  send(READY)
}
