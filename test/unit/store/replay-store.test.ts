// ReplayStore (SECURITY.md "Replay Protection"; WIRE.md: window |now − ts| ≤ 5 min,
// nonces per peer, persisted, never wiped wholesale), with an injected clock throughout.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { appendFileSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { ReplayStore, type ReplayStoreOptions } from '../../../src/store/replay-store.ts'
import { ensureSecureDir } from '../../../src/store/secure-dir.ts'
import { expectWoprError } from '../../support/expect-error.ts'
import { freshPath, modeOf, withUmask } from '../../support/temp-dirs.ts'

const W = 300_000
const T0 = 1_700_000_000_000
const A = 'peer-a'
const B = 'peer-b'

function journalPath(): string {
  const dir = freshPath()
  ensureSecureDir(dir)
  return join(dir, 'replay.jsonl')
}

function open(path: string, options: ReplayStoreOptions = {}): ReplayStore {
  return ReplayStore.open(path, { now: T0, ...options })
}

const nonce = () => randomBytes(16).toString('hex')

test('a nonce is fresh once, then a replay', () => {
  const store = open(journalPath())
  const n = nonce()
  assert.is(store.check(A, n, T0, T0), 'fresh')
  assert.is(store.check(A, n, T0, T0 + 1), 'replay')
  assert.is(store.check(A, n, T0 + 5, T0 + 5), 'replay', 'a different ts does not make a seen nonce new')
  store.close()
})

test('peers are independent: the same nonce from two peers is fresh for each', () => {
  const store = open(journalPath())
  const n = nonce()
  assert.is(store.check(A, n, T0, T0), 'fresh')
  assert.is(store.check(B, n, T0, T0), 'fresh')
  assert.is(store.check(B, n, T0, T0), 'replay')
  store.close()
})

test('timestamps on the window edge are checked; beyond it the answer is replay (cannot be proven new)', () => {
  const store = open(journalPath())
  assert.is(store.check(A, nonce(), T0 - W, T0), 'fresh')
  assert.is(store.check(A, nonce(), T0 + W, T0), 'fresh')
  assert.is(store.check(A, nonce(), T0 - W - 1, T0), 'replay')
  assert.is(store.check(A, nonce(), T0 + W + 1, T0), 'replay')
  assert.is(store.check(A, nonce(), Number.NaN, T0), 'replay')
  store.close()
})

test('an entry is held until ts + window < now, and not a millisecond less', () => {
  const store = open(journalPath(), { maxPerPeer: 1 })
  const n = nonce()
  assert.is(store.check(A, n, T0, T0), 'fresh')
  assert.is(store.check(A, n, T0, T0 + W), 'replay', 'at now = ts + window the message is still fresh, so the nonce is held')
  assert.is(store.check(A, nonce(), T0 + W, T0 + W), 'full', 'the one slot is still taken')
  assert.is(store.size, 1)
  assert.is(store.check(A, nonce(), T0 + W, T0 + W + 1), 'fresh', 'one ms later the old entry is dropped')
  assert.is(store.size, 1)
  store.close()
})

test('a full peer gets full, not eviction; other peers are unaffected; out-of-order expiry frees room', () => {
  const store = open(journalPath(), { maxPerPeer: 3 })
  const late = nonce()
  const early = [nonce(), nonce()]
  assert.is(store.check(A, late, T0 + W, T0), 'fresh', 'far-future ts first: it blocks front-only expiry')
  for (const n of early) assert.is(store.check(A, n, T0 - W, T0), 'fresh')
  assert.is(store.check(A, nonce(), T0, T0), 'full')
  for (const n of [late, ...early]) assert.is(store.check(A, n, T0, T0), 'replay', 'nothing was evicted')
  assert.is(store.check(B, nonce(), T0, T0), 'fresh')
  assert.is(store.check(A, nonce(), T0 + 1, T0 + 1), 'fresh', 'the two early entries expired behind the late one')
  assert.is(store.check(A, nonce(), T0 + 1, T0 + 1), 'fresh')
  assert.is(store.check(A, nonce(), T0 + 1, T0 + 1), 'full')
  store.close()
})

test('accepted nonces survive a reopen; expired ones are dropped at open', () => {
  const path = journalPath()
  const store = open(path)
  const old = nonce()
  const recent = nonce()
  store.check(A, old, T0 - W, T0)
  store.check(B, recent, T0, T0)
  store.close()
  const again = open(path, { now: T0 + 1 })
  assert.is(again.size, 1, 'the T0 − W entry expired while we were down')
  assert.is(again.check(B, recent, T0, T0 + 1), 'replay')
  assert.is(again.check(A, old, T0, T0 + 1), 'fresh', 'a dropped entry is no longer held')
  again.close()
})

test('a torn last line is ignored on open and cannot corrupt later appends', () => {
  const path = journalPath()
  const store = open(path)
  const kept = nonce()
  store.check(A, kept, T0, T0)
  store.close()
  appendFileSync(path, `["${A}","${nonce()}",17`)
  const again = open(path)
  assert.is(again.size, 1)
  assert.is(again.check(A, kept, T0, T0), 'replay')
  const next = nonce()
  assert.is(again.check(A, next, T0, T0), 'fresh')
  again.close()
  const third = open(path)
  assert.is(third.check(A, next, T0, T0), 'replay')
  third.close()
})

test('a damaged middle line, a missing header or an empty file is STORE_CORRUPT, and the file is kept', () => {
  for (const text of ['', '["wopr-p2p replay journal",1]\n["a","b"]\n["a","c",1]\n', '["a","b",1]\n', '["wopr-p2p replay journal",1]\nnot json\n["a","c",1]\n']) {
    const path = journalPath()
    writeFileSync(path, text, { mode: 0o600 })
    const err = expectWoprError(() => open(path), 'STORE_CORRUPT')
    assert.ok(err.message.includes(path))
    assert.is(readFileSync(path, 'utf8'), text)
  }
})

test('compaction rewrites the journal with exactly the live entries, all still replays after reopen', () => {
  const path = journalPath()
  const store = open(path, { compactAfter: 50 })
  const live: Array<[string, string]> = []
  for (let i = 0; i < 500; i++) {
    // The first 200 arrive at T0 with ts at the window's old edge, so all have expired by T0 + 300.
    const [ts, now] = i < 200 ? [T0 - W + i, T0] : [T0 + 300, T0 + 300]
    const entry: [string, string] = [i % 2 ? A : B, nonce()]
    assert.is(store.check(...entry, ts, now), 'fresh')
    if (i >= 200) live.push(entry)
  }
  const lines = readFileSync(path, 'utf8').split('\n').length
  assert.ok(lines < 500, `journal was compacted (${lines} lines)`)
  assert.is(modeOf(path), 0o600)
  store.close()
  const again = open(path, { now: T0 + 300 })
  assert.is(again.size, live.length)
  assert.is(readFileSync(path, 'utf8').split('\n').length, live.length + 2, 'header + live entries + final newline')
  for (const [peer, n] of live) assert.is(again.check(peer, n, T0 + 300, T0 + 300), 'replay')
  again.close()
})

test('the journal is 0600 under umask 000; a symlinked or 0644 journal is refused', () => {
  const path = journalPath()
  withUmask(0, () => open(path).close())
  assert.is(modeOf(path), 0o600)
  const link = journalPath()
  symlinkSync(path, link)
  expectWoprError(() => open(link), 'STORE_INSECURE_MODE')
  const loose = journalPath()
  writeFileSync(loose, '["wopr-p2p replay journal",1]\n', { mode: 0o644 })
  expectWoprError(() => open(loose), 'STORE_INSECURE_MODE')
})

test('a closed store throws rather than answer', () => {
  const store = open(journalPath())
  store.close()
  expectWoprError(() => store.check(A, nonce(), T0, T0), 'IO')
})

test.run()
