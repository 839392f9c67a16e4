// What the sidecar puts around the sandbox: nothing is acknowledged that could not be kept.
// With the WOPR outbox full, a friend's log is refused up front (the sandbox is not even
// asked), and an entry the outbox refuses turns the answer into that refusal.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Friend } from '../../../src/friends/model.ts'
import { silentLogger } from '../../../src/log/logger.ts'
import { openStateDir } from '../../../src/store/secure-dir.ts'
import type { HandledMessage, Handler } from '../../../src/swarm/listener.ts'
import { wrapHandler } from '../../../src/sidecar/inbound.ts'
import { RecursionGuard } from '../../../src/sidecar/recursion-guard.ts'
import type { WoprApi } from '../../../src/wopr/client.ts'
import { Outbox } from '../../../src/wopr/outbox.ts'
import { freshPath } from '../../support/temp-dirs.ts'

const FRIEND: Friend = { name: 'alice', signPub: 'alice-key', encryptPub: 'unused', session: 'friend:p2p:alice(abcdef)', addedAt: 0 }
/** WOPR is never reached here: the outbox is not started, so entries only pile up. */
const NO_WOPR = {} as WoprApi

function log(text: string): HandledMessage {
  const peer = { id: FRIEND.signPub, encryptPub: 'unused', encryptPublicRaw: Buffer.alloc(32), sessions: new Map(), previousGraceEnds: [] }
  return { kind: 'log', peer, session: FRIEND.session, text, version: 2 }
}

test('with the outbox full a log is refused, not acknowledged and lost; the sandbox is not asked', async () => {
  const dataDir = freshPath('inbound')
  openStateDir(dataDir)
  const outbox = Outbox.open({ dataDir, client: NO_WOPR, maxEntries: 1 })
  let asked = 0
  const sandbox: Handler = { handle: async (a) => (asked++, { ok: true, text: a.text }) }
  const handler = wrapHandler(sandbox, { guard: new RecursionGuard(), friendOf: () => FRIEND, outbox, log: silentLogger() })
  try {
    assert.equal(await handler.handle(log('first')), { ok: true, text: 'first' })
    assert.is(outbox.status().pending, 1)
    assert.equal(await handler.handle(log('second')), { ok: false, reason: 'WOPR_OUTBOX_FULL' })
    assert.is(asked, 1, 'the second never reached the sandbox')
  } finally {
    await outbox.close()
  }
})

test.run()
