// The demo driver (compose profile `demo`, one shot): alice and bob become friends through the
// CLI (request → accept → complete), bob grants alice inject, alice sends bob a log and an
// inject, bob sends alice a log, and the driver prints what each WOPR double received. It reaches each sidecar only
// through its control socket (the data volume mounted here) and each WOPR double only through
// WOPR-API.md; it exits 1 at the first step that fails, naming it.
//   node --import tsx demo/drive.ts   (paths below; compose.yaml mounts them)

import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { FriendMade, FriendView, SendOutcome } from '../src/sidecar/operations.ts'
import { readWopr, type WoprContents } from './read-wopr.ts'

const ALICE = '/peers/alice'
const BOB = '/peers/bob'
const WOPR = { alice: { url: 'http://wopr-alice:7437', tokenFile: '/wopr/alice/daemon-token' }, bob: { url: 'http://wopr-bob:7437', tokenFile: '/wopr/bob/daemon-token' } }
const READY_TRIES = 90
const LOG_TEXT = 'hello bob, this is alice over wopr-p2p'
const BACK_TEXT = 'hello alice, bob here: the answer is on its way'
const INJECT_TEXT = 'what is six times seven? answer with the number only'

function say(event: string, detail: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ role: 'demo', event, ...detail })}\n`)
}

/** One CLI call against a sidecar's control socket; its stdout, trimmed. */
function cli(dataDir: string, ...args: string[]): string {
  const r = spawnSync('wopr-p2p', ['--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) {
    say('step.failed', { command: `wopr-p2p ${args.join(' ')}`, dataDir, exit: r.status, stderr: r.stderr.trim().slice(-2000) })
    process.exit(1)
  }
  return r.stdout.trim()
}

/** The same with --json: what the sidecar answered, parsed. */
function cliJson<T>(dataDir: string, ...args: string[]): T {
  return JSON.parse(cli(dataDir, ...args, '--json')) as T
}

async function waitForSidecar(name: string, dataDir: string): Promise<void> {
  for (let i = 0; i < READY_TRIES; i++) {
    if (spawnSync('wopr-p2p', ['--data-dir', dataDir, 'status', '--json']).status === 0) return
    await new Promise((r) => setTimeout(r, 1000))
  }
  say('step.failed', { command: 'status', sidecar: name, why: `not ready after ${READY_TRIES} s` })
  process.exit(1)
}

async function contents(which: keyof typeof WOPR): Promise<WoprContents> {
  const { url, tokenFile } = WOPR[which]
  return readWopr(url, readFileSync(tokenFile, 'utf8').trim())
}

await waitForSidecar('alice', ALICE)
await waitForSidecar('bob', BOB)
say('ready')

// The friend lines travel by copy and paste in real life (a chat channel); here, by variable.
const request = cli(ALICE, 'friend', 'request', 'bob')
say('friend.requested', { by: 'alice' })
const accepted = cliJson<FriendMade & { line: string }>(BOB, 'friend', 'accept', request)
say('friend.accepted', { by: 'bob' })
const completed = cliJson<FriendMade>(ALICE, 'friend', 'complete', accepted.line)
say('friend.completed', { alice: cliJson<FriendView[]>(ALICE, 'friend', 'list'), bob: cliJson<FriendView[]>(BOB, 'friend', 'list') })

cli(BOB, 'grant', 'alice', 'inject')
say('granted', { by: 'bob', to: 'alice', capability: 'inject' })

// The session bob files alice under: the one bob's accept made.
const aliceOnBob = accepted.session
cliJson<SendOutcome>(ALICE, 'log', 'bob', aliceOnBob, LOG_TEXT)
say('log.sent', { from: 'alice', to: 'bob', session: aliceOnBob })
const answer = cliJson<SendOutcome>(ALICE, 'inject', 'bob', aliceOnBob, INJECT_TEXT)
say('inject.answered', { from: 'alice', to: 'bob', answer })
// And back: bob logs to the session alice files him under (the one her complete made).
cliJson<SendOutcome>(BOB, 'log', 'alice', completed.session, BACK_TEXT)
say('log.sent', { from: 'bob', to: 'alice', session: completed.session })

say('wopr', { alice: await contents('alice'), bob: await contents('bob') })
say('done')
