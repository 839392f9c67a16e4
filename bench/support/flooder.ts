// A stranger flooding a listener, in its own process for the swarm bench: one connection
// (the way any peer on the DHT can open one), a signed hello so the listener keeps it past
// its handshake timeout, then junk lines at a steady rate: random bytes, unsigned JSON,
// signed injects and repeated signed hellos from a key nobody granted anything.
// argv[2]: { bootstrap }.

import { randomBytes } from 'node:crypto'
import { encodeKey } from '../../src/crypto/der.ts'
import { generateEncryptionKeyPair } from '../../src/crypto/x25519.ts'
import { createIdentityRecord, loadIdentity } from '../../src/identity/keys.ts'
import { TIMED_OUT, within } from '../../src/swarm/deadline.ts'
import type { DhtNodeAddress, Dial, SwarmConnection } from '../../src/swarm/swarm.ts'
import { buildHello, buildInject } from '../../src/wire/build.ts'
import { sealForListener } from '../../src/wire/payload.ts'
import { joinNet } from '../../test/support/swarm-net.ts'
import { answerParent } from './ipc.ts'

const POOL = 64
const TICK_MS = 2
const net = joinNet((JSON.parse(process.argv[2]!) as { bootstrap: DhtNodeAddress[] }).bootstrap)
const stranger = loadIdentity(createIdentityRecord(Date.now()))

function freshKey(): string {
  return encodeKey('x25519Spki', generateEncryptionKeyPair().publicKey)
}

const helloKey = freshKey()

/**
 * A fresh signed hello, re-signed once a second of the target's clock rather than per line: an
 * attacker floods from its own machine, and signing 1,250 lines/s here would take CPU from the
 * daemons being measured on this one. The listener sees the same line; hellos are not nonce-tracked.
 */
let signed = { second: -1, line: '' }
function hello(ts: number): string {
  const second = Math.floor(ts / 1000)
  if (signed.second !== second) signed = { second, line: buildHello(stranger, { ephemeralPub: helloKey }, { ts }) }
  return signed.line
}

/**
 * The junk, built once (signing every line would make the flooder the bottleneck) and cycled.
 * Every fourth slot is empty: a hello signed when it is sent, so it is fresh on the target's clock.
 */
function junkPool(ts: number): (Buffer | null)[] {
  const pool: (Buffer | null)[] = []
  const line = (text: string) => Buffer.from(`${text}\n`, 'latin1')
  for (let i = 0; i < POOL; i++) {
    pool.push(line(randomBytes(200 + (i % 8) * 128).toString('latin1').replaceAll('\n', ' ')))
    pool.push(line(JSON.stringify({ v: 2, type: 'inject', from: stranger.signPub, session: 'main', payload: randomBytes(768).toString('base64'), nonce: randomBytes(16).toString('hex'), ts })))
    const sealed = sealForListener(randomBytes(512).toString('base64'), freshKey())!
    const fields = { v: 2 as const, ephemeralPub: sealed.ephemeralPub, encryptPub: stranger.encryptPub, session: 'main', payload: sealed.payload, requestId: randomBytes(16).toString('hex') }
    pool.push(line(buildInject(stranger, fields, { ts })))
    pool.push(null)
  }
  return pool
}

interface Target {
  /** The target's clock minus ours, kept current by the bench: repeated hellos stay fresh, so the listener verifies each. */
  clockOffsetMs: number
  conn: SwarmConnection | null
  reconnects: number
  pool: (Buffer | null)[]
  dial: Dial
}
interface Burst {
  timer: NodeJS.Timeout
  started: number
  sent: number
  blocked: boolean
}
let target: Target | null = null
let burst: Burst | null = null

/** Say hello (ts on the target's clock) and wait for its hello-ack. */
function helloed(conn: SwarmConnection, ts: number): Promise<boolean> {
  const acked = new Promise<boolean>((resolve) => {
    conn.on('data', () => resolve(true))
    conn.once('close', () => resolve(false))
  })
  conn.write(Buffer.from(`${hello(ts)}\n`))
  return acked
}

/** Open the stranger's connection to `topic`, re-opened (and counted) whenever the listener drops it. */
async function connect(a: { topic: string; clockOffsetMs: number }): Promise<void> {
  let first!: (ok: boolean) => void
  const ready = new Promise<boolean>((resolve) => (first = resolve))
  const dial = net.swarm().dial(Buffer.from(a.topic, 'hex'), async (conn) => {
    const ok = await helloed(conn, Date.now() + (target?.clockOffsetMs ?? a.clockOffsetMs))
    first(ok)
    if (!ok || !target) return
    if (target.conn) target.reconnects++
    target.conn = conn
    conn.once('close', () => {
      if (target?.conn === conn) target.conn = null
      dial.refresh()
    })
  })
  target = { clockOffsetMs: a.clockOffsetMs, conn: null, reconnects: 0, pool: junkPool(Date.now() + a.clockOffsetMs), dial }
  if ((await within(ready, 15_000)) !== true) throw new Error('the flood target did not answer our hello')
}

/** Flood at `rate` lines/s until paused. */
function resume(a: { rate: number }): void {
  const t = target
  if (!t || burst) throw new Error('connect first, and pause before resuming')
  const b: Burst = { timer: setInterval(() => writeOwed(t, b, a.rate), TICK_MS), started: performance.now(), sent: 0, blocked: false }
  burst = b
}

/** Paced by elapsed time: each tick writes what the rate owes; a full send buffer waits for drain. */
function writeOwed(t: Target, b: Burst, rate: number): void {
  const conn = t.conn
  if (!conn || b.blocked) return
  const owed = Math.floor(((performance.now() - b.started) / 1000) * rate) - b.sent
  for (let i = 0; i < owed; i++) {
    const junk = t.pool[b.sent++ % t.pool.length] ?? Buffer.from(`${hello(Date.now() + t.clockOffsetMs)}\n`)
    if (!conn.write(junk)) {
      b.blocked = true
      conn.once('drain', () => (b.blocked = false))
      return
    }
  }
}

/** Stop the burst; what it wrote, over how long, and the reconnects so far. */
function pause(): { sent: number; seconds: number; reconnects: number } {
  const b = burst
  if (!b || !target) throw new Error('no flood running')
  clearInterval(b.timer)
  burst = null
  return { sent: b.sent, seconds: (performance.now() - b.started) / 1000, reconnects: target.reconnects }
}

function clock(a: { offsetMs: number }): void {
  if (target) target.clockOffsetMs = a.offsetMs
}

answerParent({ connect, resume, pause, clock }, async () => {
  if (burst) clearInterval(burst.timer)
  target?.conn?.destroy()
  await target?.dial.close()
  await net.close()
})
