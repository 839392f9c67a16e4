// The listener in a child process, the client in this one (ENVIRONMENT.md: cross-process
// connections are where half-open connections showed up without firewalled:false):
// handshake, log → ack and inject → response over a real process boundary.

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TIMED_OUT, within } from '../../src/swarm/deadline.ts'
import { SESSION, T0 } from '../support/gate-fixture.ts'
import { startNet, type TestNet } from '../support/swarm-net.ts'
import { BOB, startClient, type ClientRig } from '../support/swarm-rigs.ts'

let net: TestNet
let child: ChildProcess | undefined
let alice: ClientRig | undefined

test.before(async () => {
  net = await startNet()
  const script = new URL('../support/swarm-child.ts', import.meta.url).pathname
  child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(net.config.bootstrap)], { stdio: ['pipe', 'pipe', 'inherit'] })
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
  const ready = (async () => {
    while (!out.includes('READY\n')) await once(child!.stdout!, 'data')
  })()
  if ((await within(ready, 15_000)) === TIMED_OUT) throw new Error(`listener child did not get ready: ${out}`)
})

test.after(async () => {
  await alice?.close()
  if (child && child.exitCode === null) {
    const exited = once(child, 'exit')
    child.stdin!.end()
    // A child that does not close in time is ended by its pid: it is ours.
    if ((await within(exited, 5_000)) === TIMED_OUT) child.kill('SIGKILL')
  }
  await net?.close()
})

test('a client here and a listener in another process: log → ack, inject → response', async () => {
  alice = startClient(net, { now: T0 })
  assert.equal(await alice.client.log(BOB, SESSION, 'across processes'), { ok: true, reply: 'ack' })
  assert.equal(await alice.client.inject(BOB, SESSION, 'ping'), { ok: true, reply: 'response', text: 'bob got: ping' })
})

test.run()
