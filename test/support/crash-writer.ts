// Child process for crash-safety.test.ts (argv[2] = data dir): opens the dir as a role does,
// then rewrites every counter file and checks fresh nonces until it is SIGKILLed, printing
// each acknowledgement (with a synchronous write) only after the call has returned.

import { writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { ReplayStore } from '../../src/store/replay-store.ts'
import { openStateDir } from '../../src/store/secure-dir.ts'
import { COUNTER_FILES, counterFile, counterValue, REPLAY_FILE, REPLAY_OPTIONS } from './crash-state.ts'

const dir = process.argv[2]!
const say = (line: string) => writeSync(1, `${line}\n`)

openStateDir(dir)
const files = COUNTER_FILES.map((name) => ({ name, file: counterFile(dir, name), counter: 0 }))
for (const f of files) f.counter = f.file.load().counter
const store = ReplayStore.open(join(dir, REPLAY_FILE), REPLAY_OPTIONS)
say('ready')

for (;;) {
  for (const f of files) {
    f.file.save(counterValue(f.counter + 1))
    f.counter++
    say(`saved ${f.name} ${f.counter}`)
  }
  for (let k = 0; k < 4; k++) {
    const peer = `peer-${process.pid}-${k}`
    const nonce = randomBytes(16).toString('hex')
    const ts = Date.now()
    if (store.check(peer, nonce, ts, ts) === 'fresh') say(`nonce ${peer} ${nonce} ${ts}`)
  }
}
