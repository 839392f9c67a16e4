// Child process for outbox-crash.test.ts (argv: data dir, WOPR socket, token file, count):
// opens the data dir and an outbox as the sidecar does, enqueues `count` entries one per
// tick, and prints `queued <i>` (synchronously) only after enqueue() has returned. Killed by the parent.

import { writeSync } from 'node:fs'
import { openStateDir } from '../../src/store/secure-dir.ts'
import { WoprClient } from '../../src/wopr/client.ts'
import { Outbox } from '../../src/wopr/outbox.ts'
import { crashEntry, CRASH_OUTBOX_OPTIONS } from './wopr-crash.ts'

const [dataDir, socketPath, tokenFile, count] = process.argv.slice(2) as [string, string, string, string]
const say = (line: string) => writeSync(1, `${line}\n`)

openStateDir(dataDir)
// A long timeout: a request WOPR holds stays in flight until the parent kills us.
const client = new WoprClient({ endpoint: { socketPath }, tokenFile, timeoutMs: 60_000 })
const outbox = Outbox.open({ dataDir, client, ...CRASH_OUTBOX_OPTIONS })
outbox.start()
say('ready')
for (let i = 0; i < Number(count); i++) {
  const r = outbox.enqueue(crashEntry(i))
  if (!r.ok) throw new Error(`enqueue ${i} refused: ${r.reason}`)
  say(`queued ${i}`)
  await new Promise((resolve) => setImmediate(resolve))
}
say('all queued')
