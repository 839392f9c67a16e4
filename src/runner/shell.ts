// The `shell` tool's executor inside the sandbox (DESIGN.md "Capabilities → what
// the sandbox job does", inject): `/bin/sh -c` in /tmp with a wall-clock limit and
// an output cap; the command's whole process group is killed when either is hit.

import { spawn } from 'node:child_process'
import { decodeLossy } from './normalise.ts'

export type ShellOptions = {
  timeoutMs: number
  maxOutputBytes: number
  /**
   * Also SIGKILL every other process we may signal once the command is over. Only
   * inside the sandbox, where kill(-1) means "everything in this container but
   * init and me": it catches processes that left the command's group with setsid.
   * On a host it would mean every process of the user.
   */
  sweepAll: boolean
  cwd?: string
}

export type ShellResult = {
  /** Exit status, or null when a signal ended the shell or it never started. */
  exitCode: number | null
  signal: NodeJS.Signals | null
  output: string
  timedOut: boolean
  /** The output cap was hit: the output is cut there and the command was killed. */
  truncated: boolean
  /** Why the shell could not start (EAGAIN under the pids limit, say), if it could not. */
  spawnError?: string
}

// Nothing of the runner's own environment leaks into tool commands.
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', TMPDIR: '/tmp', LANG: 'C.UTF-8' }
/** After the shell exits, how long its pipes may stay open (held by a straggler) before we stop reading. */
const DRAIN_MS = 200

export function runShell(command: string, opts: ShellOptions): Promise<ShellResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let bytes = 0
    let timedOut = false
    let truncated = false
    let settled = false
    // detached: the shell leads a new process group, so one kill reaches its children too.
    const child = spawn('/bin/sh', ['-c', command], { cwd: opts.cwd ?? '/tmp', env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true })

    const killGroup = () => {
      if (child.pid !== undefined) signal(-child.pid)
      if (opts.sweepAll) signal(-1)
    }
    const finish = (result: Omit<ShellResult, 'output' | 'timedOut' | 'truncated'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.stdout?.destroy()
      child.stderr?.destroy()
      resolve({ ...result, output: decodeLossy(Buffer.concat(chunks, bytes)), timedOut, truncated })
    }
    const collect = (chunk: Buffer) => {
      if (truncated) return
      const room = opts.maxOutputBytes - bytes
      if (chunk.length > room) {
        truncated = true
        chunks.push(chunk.subarray(0, room))
        bytes += room
        killGroup()
        return
      }
      chunks.push(chunk)
      bytes += chunk.length
    }
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)

    const timer = setTimeout(() => {
      timedOut = true
      killGroup()
    }, opts.timeoutMs)

    child.on('error', (err: NodeJS.ErrnoException) => finish({ exitCode: null, signal: null, spawnError: err.code ?? err.message }))
    child.on('exit', (code, sig) => {
      // Background children of the command must not outlive it; then give the pipes
      // a moment to deliver what the command wrote before it exited.
      killGroup()
      const drained = setTimeout(() => finish({ exitCode: code, signal: sig }), DRAIN_MS)
      child.on('close', () => {
        clearTimeout(drained)
        finish({ exitCode: code, signal: sig })
      })
    })
  })
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // ESRCH: nothing left to kill.
  }
}
