// Shared by the WOPR bridge tests: a WOPR double on a fresh unix socket or TCP port with its
// own token file, a fake clock the outbox sleeps on (so hours of backoff take no time and
// delays are exact), and small raw-HTTP helpers for bodies the client would never send.

import { mkdirSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { ensureSecureDir } from '../../src/store/secure-dir.ts'
import type { WoprEndpoint } from '../../src/wopr/client.ts'
import type { OutboxClock } from '../../src/wopr/outbox.ts'
import { WoprDouble, type WoprDoubleOptions } from '../doubles/wopr-double.ts'
import { freshPath } from './temp-dirs.ts'

export const T0 = 1_800_000_000_000

/** A scratch dir holding `wopr.sock` and `daemon-token` (what WOPR's /data would hold). */
export function woprDir(): { dir: string; socketPath: string; tokenFile: string } {
  const dir = freshPath('wopr')
  mkdirSync(dir, { mode: 0o700 })
  return { dir, socketPath: join(dir, 'wopr.sock'), tokenFile: join(dir, 'daemon-token') }
}

/** A fresh 0700 data dir for an outbox. */
export function dataDir(): string {
  const dir = freshPath('data')
  ensureSecureDir(dir)
  return dir
}

const started: Array<{ stop(): Promise<void> }> = []

/** Stop everything startDouble and track() started; each test file runs it in test.after, so a failed test cannot hang the run. */
export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.stop()))
}

export function track<T extends { stop(): Promise<void> }>(thing: T): T {
  started.push(thing)
  return thing
}

export async function startDouble(transport: 'unix' | 'tcp', extra: Partial<WoprDoubleOptions> = {}): Promise<{ double: WoprDouble; endpoint: WoprEndpoint; tokenFile: string }> {
  const { socketPath, tokenFile } = woprDir()
  const listen = transport === 'unix' ? { socketPath } : { host: '127.0.0.1', port: 0 }
  const double = track(await WoprDouble.start({ listen, tokenFile, ...extra }))
  return { double, endpoint: double.address, tokenFile }
}

export interface RawAnswer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
  json: unknown
}

/** One request exactly as given (no client-side checks); `auth` is the whole Authorization value. */
export function raw(endpoint: WoprEndpoint, method: string, path: string, opts: { auth?: string; body?: string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = {}
    if (opts.auth !== undefined) headers.authorization = opts.auth
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = Buffer.byteLength(opts.body)
    }
    const req = http.request({ ...endpoint, agent: false, method, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = JSON.parse(body)
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json })
      })
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

/**
 * Timers that only run when the test says so. The outbox holds at most one timer, and only
 * while it sleeps: a pending timer means no request is in flight, so the test can look.
 */
export class FakeClock implements OutboxClock {
  private t: number
  private nextId = 1
  private readonly timers = new Map<number, { at: number; fn: () => void }>()
  private waiters: Array<() => void> = []

  constructor(start = T0) {
    this.t = start
  }

  now = (): number => this.t

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.set(id, { at: this.t + ms, fn })
    for (const w of this.waiters.splice(0)) w()
    return id
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }

  /** Resolves, once something sleeps, with how long until its timer is due. */
  async sleeping(): Promise<number> {
    while (this.timers.size === 0) await new Promise<void>((r) => this.waiters.push(r))
    return this.earliest()[1].at - this.t
  }

  /** Jump to the earliest timer and run it. */
  fire(): void {
    const [id, timer] = this.earliest()
    this.timers.delete(id)
    this.t = Math.max(this.t, timer.at)
    timer.fn()
  }

  private earliest(): [number, { at: number; fn: () => void }] {
    let best: [number, { at: number; fn: () => void }] | undefined
    for (const entry of this.timers) if (best === undefined || entry[1].at < best[1].at) best = entry
    if (best === undefined) throw new Error('FakeClock: no timer pending')
    return best
  }
}

/** Fire the outbox's timers until it has nothing pending; returns every delay it slept (the last, idle one excluded). */
export async function deliverAll(outbox: { status(): { pending: number } }, clock: FakeClock, maxSteps = 5000): Promise<number[]> {
  const delays: number[] = []
  for (let i = 0; i < maxSteps; i++) {
    const delay = await clock.sleeping()
    if (outbox.status().pending === 0) return delays
    delays.push(delay)
    clock.fire()
  }
  throw new Error(`outbox still has ${outbox.status().pending} pending after ${maxSteps} sleeps`)
}

/** The most of `times` (ascending) that fall in any half-open window of `windowMs`. */
export function maxInAnyWindow(times: number[], windowMs: number): number {
  let best = 0
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++
    best = Math.max(best, i - j + 1)
  }
  return best
}
