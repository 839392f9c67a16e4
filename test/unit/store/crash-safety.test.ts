// DESIGN.md "State": a crash at any instant loses nothing acknowledged. A child rewrites
// JSON state files and accepts nonces in a loop; we SIGKILL it at random moments, then
// check every file holds the last acknowledged value or the one after it, no temp file
// survives the next open, and every nonce it reported accepted is a replay.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ReplayStore } from '../../../src/store/replay-store.ts'
import { openStateDir } from '../../../src/store/secure-dir.ts'
import { COUNTER_FILES, counterFile, REPLAY_FILE, REPLAY_OPTIONS } from '../../support/crash-state.ts'
import { freshPath, modeOf } from '../../support/temp-dirs.ts'

const KILLS = 50
const WRITER = new URL('../../support/crash-writer.ts', import.meta.url).pathname

/** Runs the writer once, kills it 20–150 ms after it is ready, and returns its complete stdout lines. */
function runAndKill(dir: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (out === '' && chunk.startsWith('ready\n')) setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 130)
      out += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited by itself (code ${code}): ${err}`))
      // A line cut short by the kill was never acknowledged.
      else resolve(out.slice(0, out.lastIndexOf('\n') + 1).split('\n').slice(0, -1))
    })
  })
}

test(`state survives ${KILLS} SIGKILLs at random moments`, async () => {
  const dir = freshPath()
  const acked = new Map(COUNTER_FILES.map((name) => [name, 0]))
  const accepted: Array<[string, string, number]> = []
  let unacknowledgedWrites = 0
  let tempsSwept = 0
  for (let round = 0; round < KILLS; round++) {
    const lines = await runAndKill(dir)
    assert.is(lines[0], 'ready')
    for (const line of lines.slice(1)) {
      const [kind, a, b, c] = line.split(' ')
      if (kind === 'saved') {
        assert.is(Number(b), acked.get(a!)! + 1, `acknowledgements of ${a} go up by one`)
        acked.set(a!, Number(b))
      } else {
        assert.is(kind, 'nonce')
        accepted.push([a!, b!, Number(c)])
      }
    }

    assert.is(modeOf(dir), 0o700)
    tempsSwept += readdirSync(dir).filter((name) => name.endsWith('.wopr-tmp')).length
    openStateDir(dir)
    for (const name of readdirSync(dir)) assert.ok([...COUNTER_FILES, REPLAY_FILE].includes(name), `left behind: ${name}`)
    for (const name of COUNTER_FILES) {
      const { counter } = counterFile(dir, name).load()
      const last = acked.get(name)!
      // last + 1: killed after the rename, before the acknowledgement was printed.
      assert.ok(counter === last || counter === last + 1, `${name} holds ${counter}, last acknowledged ${last}`)
      if (counter === last + 1) unacknowledgedWrites++
      acked.set(name, counter)
      assert.is(modeOf(join(dir, name)), 0o600)
    }
    const store = ReplayStore.open(join(dir, REPLAY_FILE), REPLAY_OPTIONS)
    const now = Date.now()
    for (const [peer, nonce, ts] of accepted) assert.is(store.check(peer, nonce, ts, now), 'replay', `nonce ${nonce} of ${peer} was forgotten`)
    store.close()
    assert.is(modeOf(join(dir, REPLAY_FILE)), 0o600)
  }
  console.log(`  ${KILLS} kills: ${acked.get(COUNTER_FILES[0]!)} writes of ${COUNTER_FILES[0]}, ${accepted.length} nonces accepted and still replays, ${unacknowledgedWrites} writes landed but unacknowledged, ${tempsSwept} temp files swept`)
  assert.ok(accepted.length > 0)
})

test.run()
