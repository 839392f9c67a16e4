// Issue 5 "Proof": kill -9 the sidecar with undelivered entries, restart, all delivered exactly
// once, in order. A child process runs a real outbox and is SIGKILLed (a) while WOPR is down,
// mid-enqueue, and (b) while WOPR holds a request it has already stored; a fresh outbox on the
// same data dir then delivers, and the double's conversations are the proof.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { WoprClient } from '../../../src/wopr/client.ts'
import { Outbox, type OutboxEvent } from '../../../src/wopr/outbox.ts'
import type { WoprDouble } from '../../doubles/wopr-double.ts'
import { CRASH_OUTBOX_OPTIONS, CRASH_SESSIONS, crashEntry } from '../../support/wopr-crash.ts'
import { dataDir, startDouble, stopAll } from '../../support/wopr-fixtures.ts'

test.after(stopAll)

const CHILD = new URL('../../support/wopr-outbox-child.ts', import.meta.url).pathname
const COUNT = 40

/** Runs the child until `killWhen` says so, SIGKILLs it, and returns the entry numbers it acknowledged. */
function runAndKill(args: string[], killWhen: (line: string, kill: () => void) => void): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args, String(COUNT)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const kill = () => child.kill('SIGKILL')
    let out = ''
    let partial = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const lines = (partial + chunk).split('\n')
      partial = lines.pop()!
      for (const line of lines) killWhen(line, kill)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited by itself (code ${code}): ${err}`))
      // A line cut short by the kill was never acknowledged.
      const lines = out.slice(0, out.lastIndexOf('\n') + 1).split('\n')
      resolve(lines.filter((l) => l.startsWith('queued ')).map((l) => Number(l.slice(7))))
    })
  })
}

/** A fresh outbox on the dead child's data dir, run on the real clock until nothing is pending. */
async function recover(dir: string, double: WoprDouble, tokenFile: string): Promise<OutboxEvent[]> {
  const events: OutboxEvent[] = []
  const client = new WoprClient({ endpoint: double.address, tokenFile })
  const outbox = Outbox.open({ dataDir: dir, client, ...CRASH_OUTBOX_OPTIONS, onEvent: (e) => events.push(e) })
  outbox.start()
  for (let i = 0; outbox.status().pending > 0; i++) {
    if (i > 2000) throw new Error(`recovery stuck with ${outbox.status().pending} pending: ${outbox.status().lastError?.message}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  await outbox.close()
  return events
}

/** Every acknowledged entry is in WOPR exactly once; what arrived is a gap-free prefix 0..n-1, in order, across and within sessions. */
function assertExactlyOnceInOrder(double: WoprDouble, logged: number[], acknowledged: number[]): void {
  const n = logged.length
  assert.equal(logged, Array.from({ length: n }, (_, i) => i), 'arrival order is enqueue order, no gaps, no repeats')
  assert.ok(n >= acknowledged.length && acknowledged.every((i) => i < n), `${acknowledged.length} acknowledged, ${n} delivered`)
  for (const [s, session] of CRASH_SESSIONS.entries()) {
    const want = logged.filter((i) => i % CRASH_SESSIONS.length === s).map((i) => crashEntry(i).message)
    assert.equal(double.conversation(session).map((e) => e.content), want, session)
  }
}

function arrivals(double: WoprDouble): number[] {
  const logged: number[] = []
  double.on('logged', ({ entry }: { entry: { content: string } }) => logged.push(Number(entry.content.slice(6))))
  return logged
}

test('SIGKILL while WOPR is down, mid-enqueue: after a restart every acknowledged entry arrives once, in order', async () => {
  for (const killAt of [3, 17, 31]) {
    const { double, tokenFile } = await startDouble('unix')
    const logged = arrivals(double)
    await double.stop()
    const dir = dataDir()
    const acknowledged = await runAndKill([dir, (double.address as { socketPath: string }).socketPath, tokenFile], (line, kill) => {
      if (line === `queued ${killAt}`) kill()
    })
    assert.ok(acknowledged.length > killAt, `killed after ${acknowledged.length} acknowledgements`)
    assert.is(double.requests.length, 0)
    await double.listen()
    await recover(dir, double, tokenFile)
    assertExactlyOnceInOrder(double, logged, acknowledged)
  }
})

test('SIGKILL while WOPR holds a log it already stored: the restart reads it back and does not send it again', async () => {
  const { double, tokenFile } = await startDouble('unix')
  const logged = arrivals(double)
  double.failNext(1, 'hang-after-store', { after: 5 })
  const dir = dataDir()
  let killNow: (() => void) | undefined
  double.on('request', (r: { status: number }) => {
    if (r.status === 0) killNow?.()
  })
  const acknowledged = await runAndKill([dir, (double.address as { socketPath: string }).socketPath, tokenFile], (line, kill) => {
    if (line === 'ready') killNow = kill
  })
  assert.equal(logged, [0, 1, 2, 3, 4, 5], 'the sixth was stored, then held until the kill')
  const events = await recover(dir, double, tokenFile)
  assert.equal(events[0], { type: 'delivered', id: 6, session: crashEntry(5).session, verified: true })
  assertExactlyOnceInOrder(double, logged, acknowledged)
  assert.not.ok(events.some((e) => e.type !== 'delivered'))
})

test.run()
