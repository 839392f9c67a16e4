// The Hyperswarm adapter's own promises (ENVIRONMENT.md "Hyperswarm without the internet"):
// the connection cap is a synchronous firewall, and a key refused at capacity is let in
// again once a slot frees (Hyperswarm would otherwise ban it for the swarm's life).

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { SwarmConnection } from '../../src/swarm/swarm.ts'
import { dialRaw, sleep, startNet, type TestNet } from '../support/swarm-net.ts'

let net: TestNet

test.before(async () => {
  net = await startNet()
})

test.after(async () => {
  await net?.close()
})

async function until(cond: () => boolean, ms = 3_000): Promise<boolean> {
  for (let waited = 0; !cond() && waited < ms; waited += 20) await sleep(20)
  return cond()
}

test('maxConnections: a connection past the cap is refused; the same key gets in once a slot frees', async () => {
  const topic = Buffer.alloc(32, 0x77)
  const accepted: SwarmConnection[] = []
  await net.swarm().serve(topic, { maxConnections: 1, onConnection: (c) => accepted.push(c) })
  const first = await dialRaw(net, topic)
  let second: SwarmConnection | undefined
  const dial = net.swarm().dial(topic, (c) => (second = c))
  await sleep(500)
  assert.is(second, undefined, 'refused while the one slot is taken')
  assert.is(accepted.length, 1)
  await first.close()
  assert.ok(await until(() => accepted[0]!.destroyed), 'the first connection is gone on the server')
  // A refused client only learns of it when its attempt times out (~4 s); each lookup
  // after that tries again, and only gets in if the server lifted the ban.
  const retrying = setInterval(() => dial.refresh(), 250)
  try {
    assert.ok(await until(() => second !== undefined, 12_000), 'the refused key connects on a later try')
  } finally {
    clearInterval(retrying)
  }
  assert.is(accepted.length, 2)
})

test.run()
