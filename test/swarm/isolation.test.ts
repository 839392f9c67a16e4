// The swarm tier runs in a loopback-only network namespace (test/run.ts): prove it, so a
// change to the runner cannot quietly put test swarms back on a real network.

import { networkInterfaces } from 'node:os'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

test('the only network interface is loopback', () => {
  assert.equal(Object.keys(networkInterfaces()), ['lo'], 'run this tier through `npm test -- swarm`, which isolates it')
})

test.run()
