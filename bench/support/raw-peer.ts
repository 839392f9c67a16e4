// The swarm bench's baseline, in its own process: bare Hyperswarm connections through the
// same Swarm adapter and testnet config the sidecar uses, with no framer, gate or crypto
// above the Noise stream. `serve` echoes every line back; `ping` times line round trips.
// argv[2]: { bootstrap }.

import { randomBytes } from 'node:crypto'
import type { DhtNodeAddress, SwarmConnection } from '../../src/swarm/swarm.ts'
import { joinNet } from '../../test/support/swarm-net.ts'
import { answerParent } from './ipc.ts'

const NEWLINE = 0x0a
const net = joinNet((JSON.parse(process.argv[2]!) as { bootstrap: DhtNodeAddress[] }).bootstrap)

function echoLines(conn: SwarmConnection): void {
  let pending: Buffer[] = []
  conn.on('data', (chunk) => {
    let from = 0
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, from)) {
      pending.push(chunk.subarray(from, at + 1))
      conn.write(Buffer.concat(pending))
      pending = []
      from = at + 1
    }
    if (from < chunk.length) pending.push(chunk.subarray(from))
  })
}

function connect(topic: Buffer): Promise<SwarmConnection> {
  return new Promise((resolve) => net.swarm().dial(topic, resolve))
}

/** Round trips of one `bytes`-long line each way; `warmup` untimed ones first. */
async function ping(a: { topic: string; bytes: number; warmup: number; rounds: number }): Promise<number[]> {
  const conn = await connect(Buffer.from(a.topic, 'hex'))
  let lines = 0
  let wake: (() => void) | null = null
  conn.on('data', (chunk) => {
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) lines++
    wake?.()
  })
  const line = Buffer.from(`${randomBytes(a.bytes).toString('base64').slice(0, a.bytes)}\n`)
  const samples: number[] = []
  for (let i = 0; i < a.warmup + a.rounds; i++) {
    const want = lines + 1
    const t = performance.now()
    const back = new Promise<void>((resolve) => (wake = () => lines >= want && resolve()))
    conn.write(line)
    await back
    if (i >= a.warmup) samples.push(performance.now() - t)
  }
  conn.destroy()
  return samples
}

answerParent(
  {
    serve: async () => {
      const topic = randomBytes(32)
      await net.swarm().serve(topic, { onConnection: echoLines })
      return topic.toString('hex')
    },
    ping,
  },
  () => net.close(),
)
