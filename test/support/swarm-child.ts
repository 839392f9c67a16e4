// A listener in its own process for the cross-process swarm test: bob (the gate fixture's
// listener, echo handler) served on the parent's testnet, whose bootstrap is argv[2] as JSON.
// Prints READY once announced; closes everything and exits when stdin ends.

import type { DhtNodeAddress } from '../../src/swarm/swarm.ts'
import { joinNet } from './swarm-net.ts'
import { startListener } from './swarm-rigs.ts'

const net = joinNet(JSON.parse(process.argv[2]!) as DhtNodeAddress[])
const rig = await startListener(net, { fixture: { inject: true } })
process.stdout.write('READY\n')
process.stdin.on('end', async () => {
  await rig.close()
  await net.close()
  process.exit(0)
})
process.stdin.resume()
