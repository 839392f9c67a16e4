// Sidecar daemons as separate processes (test/support/echo-sidecar.ts) on the test's local
// testnet, and the CLI run against them: the real launcher (bin/wopr-p2p.js) where exit codes
// and stderr matter, otherwise the same commander program in this process (a launcher start
// costs most of a second). Never synchronously: the testnet lives in this process.

import { CommanderError } from 'commander'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { buildProgram } from '../../src/cli/program.ts'
import { WoprP2PError } from '../../src/reasons.ts'
import { TIMED_OUT, within } from '../../src/swarm/deadline.ts'
import type { EchoSidecarConfig } from './echo-sidecar.ts'
import type { TestNet } from './swarm-net.ts'
import { freshPath } from './temp-dirs.ts'

const ENTRY = new URL('./echo-sidecar.ts', import.meta.url).pathname
const BIN = new URL('../../bin/wopr-p2p.js', import.meta.url).pathname

export interface CliRun {
  code: number | null
  out: string
  err: string
}

export class SidecarProcess {
  private stdout = ''

  private constructor(
    readonly name: string,
    readonly dataDir: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString('utf8')))
  }

  static async start(net: TestNet, name: string, policy?: Record<string, unknown>): Promise<SidecarProcess> {
    const config: EchoSidecarConfig = { dataDir: freshPath(name), name, bootstrap: [...(net.config.bootstrap ?? [])], ...(policy ? { policy } : {}) }
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] })
    const p = new SidecarProcess(name, config.dataDir, child)
    await p.waitFor('ready\n', 20_000)
    return p
  }

  /** The CLI verb against this daemon's data dir, parsed in this process; a refusal as runCli reports it. */
  async cli(...args: string[]): Promise<CliRun> {
    let out = ''
    try {
      await buildProgram((s) => (out += s)).parseAsync(['node', 'wopr-p2p', '--data-dir', this.dataDir, ...args])
      return { code: 0, out, err: '' }
    } catch (err) {
      if (err instanceof CommanderError) return { code: err.exitCode === 0 ? 0 : 2, out, err: err.message }
      if (err instanceof WoprP2PError) return { code: 1, out, err: `${err.code}: ${err.message}` }
      throw err
    }
  }

  /** The CLI verb through the real launcher, in its own process. */
  launch(...args: string[]): Promise<CliRun> {
    const child = spawn(process.execPath, [BIN, '--data-dir', this.dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')))
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')))
    return once(child, 'close').then(([code]) => ({ code: code as number | null, out, err }))
  }

  /** The CLI verb with --json, which must succeed; its parsed output. */
  async json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
    const r = await this.cli(...args, '--json')
    if (r.code !== 0) throw new Error(`wopr-p2p ${args.join(' ')} exited ${r.code}: ${r.err}`)
    return JSON.parse(r.out) as T
  }

  /** Move the daemon's clock forward and wait for its upkeep (grace ends, notices) to run. */
  async advance(ms: number): Promise<void> {
    const seen = this.count('advanced\n')
    this.child.stdin!.write(`advance ${ms}\n`)
    for (let i = 0; this.count('advanced\n') === seen; i++) {
      if (i > 200) throw new Error(`${this.name} did not finish advancing its clock`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = once(this.child, 'exit')
    this.child.stdin!.end()
    // A daemon that does not close in time is ended by its pid: it is ours.
    if ((await within(exited, 10_000)) === TIMED_OUT) this.child.kill('SIGKILL')
  }

  private count(marker: string): number {
    return this.stdout.split(marker).length - 1
  }

  private async waitFor(marker: string, ms: number): Promise<void> {
    const seen = (async () => {
      while (!this.stdout.includes(marker)) {
        if (this.child.exitCode !== null) throw new Error(`${this.name} exited with ${this.child.exitCode} before ${marker.trim()}`)
        await new Promise((r) => setTimeout(r, 25))
      }
    })()
    if ((await within(seen, ms)) === TIMED_OUT) {
      this.child.kill('SIGKILL')
      throw new Error(`${this.name} did not print ${marker.trim()} within ${ms} ms`)
    }
  }
}
