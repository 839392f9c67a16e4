// friendLogEntry (issue 5 "WOPR bridge"): every friend display name, plain or hostile, maps to a
// session WOPR accepts and the relay lets through, with `from` = `p2p:<peer key>`.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createIdentityRecord, loadIdentity } from '../../../src/identity/keys.ts'
import { friendSessionName } from '../../../src/wire/friend-lines.ts'
import { friendLogEntry } from '../../../src/wopr/friend-entry.ts'
import { checkRelayRequest } from '../../../src/wopr/relay.ts'
import { isWoprSessionName } from '../../../src/wopr/session-name.ts'
import { T0 } from '../../support/wopr-fixtures.ts'

test('friend sessions map to WOPR-safe names the relay allows; from is p2p:<sign key>', () => {
  const { signPub } = loadIdentity(createIdentityRecord(T0))
  for (const name of ['alice', 'Ålice', 'a|b', '..', 'x'.repeat(128), '🙂', 'friend:p2p:evil(000000)']) {
    const e = friendLogEntry({ session: friendSessionName(name, signPub), signPub }, 'hi')
    assert.ok(isWoprSessionName(e.session), e.session)
    assert.ok(checkRelayRequest('POST', `/sessions/${e.session}/log`).ok, e.session)
    assert.is(e.from, `p2p:${signPub}`)
  }
  assert.match(friendLogEntry({ session: friendSessionName('alice', signPub), signPub }, 'hi').session, /^friend-p2p-alice-[0-9a-f]{6}$/)
})

test.run()
