// The outbox journal (DESIGN.md "State"): pending entries and their first-try marks survive a
// reopen in order, the file is 0600 and compacted, a torn last record is dropped, and anything
// else unreadable is STORE_CORRUPT with the file left as it was.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OUTBOX_FILE, OutboxJournal } from '../../../src/wopr/outbox-journal.ts'
import { expectWoprError } from '../../support/expect-error.ts'
import { modeOf } from '../../support/temp-dirs.ts'
import { dataDir, T0 } from '../../support/wopr-fixtures.ts'

const entry = (i: number) => ({ session: `friend-p2p-s${i % 2}-abcdef`, from: 'p2p:KEY', message: `m${i} ✓` })

test('pending entries, their order and first-try times survive a reopen; done ones do not', () => {
  const path = join(dataDir(), OUTBOX_FILE)
  const j = OutboxJournal.open(path)
  for (let i = 0; i < 5; i++) j.add(entry(i), T0 + i)
  j.markTried(1, T0 + 10)
  j.markTried(1, T0 + 20) // only the first try counts
  j.markDone(1)
  j.markTried(2, T0 + 30)
  j.markDone(4)
  j.close()
  assert.is(modeOf(path), 0o600)
  const again = OutboxJournal.open(path)
  assert.equal(
    again.pending.map((e) => [e.id, e.message, e.enqueuedAt, e.firstTryAt]),
    [
      [2, 'm1 ✓', T0 + 1, T0 + 30],
      [3, 'm2 ✓', T0 + 2, null],
      [5, 'm4 ✓', T0 + 4, null],
    ],
  )
  assert.is(again.pendingBytes, again.pending.reduce((n, e) => n + e.bytes, 0))
  assert.is(again.add(entry(9), T0).id, 6, 'ids keep increasing after the highest pending one')
  again.close()
})

test('a record torn by a crash mid-append is dropped, and the rewrite leaves no partial line behind', () => {
  const path = join(dataDir(), OUTBOX_FILE)
  const j = OutboxJournal.open(path)
  j.add(entry(0), T0)
  j.close()
  appendFileSync(path, '{"add":2,"session":"friend-p2p-s1-ab')
  const again = OutboxJournal.open(path)
  assert.equal(again.pending.map((e) => e.id), [1])
  again.add(entry(1), T0)
  again.close()
  assert.equal(OutboxJournal.open(path).pending.map((e) => e.message), ['m0 ✓', 'm1 ✓'])
})

test('compaction keeps only what is pending', () => {
  const path = join(dataDir(), OUTBOX_FILE)
  const j = OutboxJournal.open(path, { compactAfter: 10 })
  for (let i = 0; i < 30; i++) {
    const e = j.add(entry(i), T0)
    j.markTried(e.id, T0)
    if (i < 28) j.markDone(e.id)
  }
  j.close()
  const lines = readFileSync(path, 'utf8').trim().split('\n')
  assert.ok(lines.length < 20, `${lines.length} lines`)
  assert.equal(OutboxJournal.open(path).pending.map((e) => e.message), ['m28 ✓', 'm29 ✓'])
})

test('unreadable journals are STORE_CORRUPT and left untouched', () => {
  const header = '["wopr-p2p outbox journal",1]'
  const add = (id: number) => JSON.stringify({ add: id, session: 's', from: 'f', message: 'm', at: T0 })
  const cases = [
    'not a journal\n',
    `${header}\n{"add":1}\n`,
    `${header}\n${add(1)}\n{"done":2}\n`,
    `${header}\n${add(1)}\n{"try":2,"at":1}\n`,
    `${header}\n${add(2)}\n${add(1)}\n`,
    `${header}\n${add(1).replace('}', ',"extra":1}')}\n`,
    `${header}\n{"constructor":1}\n`,
    `${header}\n{"add":0,"session":"s","from":"f","message":"m","at":1}\n`,
    `${header}\n[1,2]\n`,
  ]
  for (const text of cases) {
    const path = join(dataDir(), OUTBOX_FILE)
    writeFileSync(path, text, { mode: 0o600 })
    expectWoprError(() => OutboxJournal.open(path), 'STORE_CORRUPT')
    assert.is(readFileSync(path, 'utf8'), text)
  }
})

test('a journal readable by others is refused (STORE_INSECURE_MODE)', () => {
  const path = join(dataDir(), OUTBOX_FILE)
  writeFileSync(path, '["wopr-p2p outbox journal",1]\n', { mode: 0o644 })
  expectWoprError(() => OutboxJournal.open(path), 'STORE_INSECURE_MODE')
})

test.run()
