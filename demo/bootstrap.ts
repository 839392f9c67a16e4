// The demo's private DHT: one bootstrap node on the compose network (ENVIRONMENT.md "Docker and
// Hyperswarm together"). It announces its own container address, not 0.0.0.0, and writes a
// ready file for the healthcheck the sidecars wait on: a peer that starts before the bootstrap
// name resolves drops that address and never recovers.
//   node --import tsx demo/bootstrap.ts [--port 49737] [--ready /tmp/bootstrap-ready]

import DHT from 'hyperdht'
import { writeFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { parseArgs } from 'node:util'

interface Bootstrapper {
  ready(): Promise<void>
  destroy(): Promise<void>
}

const { values } = parseArgs({ options: { port: { type: 'string', default: '49737' }, ready: { type: 'string', default: '/tmp/bootstrap-ready' } } })
const host = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address
if (host === undefined) throw new Error('no IPv4 address outside loopback to announce')

const node = (DHT as unknown as { bootstrapper(port: number, host: string): Bootstrapper }).bootstrapper(Number(values.port), host)
await node.ready()
writeFileSync(values.ready, `${host}:${values.port}\n`)
process.stdout.write(`${JSON.stringify({ role: 'bootstrap', event: 'listening', host, port: Number(values.port) })}\n`)
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void node.destroy().then(() => process.exit(0)))
