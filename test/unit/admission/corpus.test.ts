// The wire attack corpus (test/corpus/wire/, one case per file, format in
// test/support/corpus.ts) through the framer and the admission gate of a
// listener, bob, with one friend, alice: both from the interop vectors, at the
// vectors' time. Then: every WIRE_* and ADMIT_* code is shown by some test.

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { addFriend, emptyPeerState, grant, issueInvite } from '../../../src/friends/model.ts'
import { REASONS } from '../../../src/reasons.ts'
import { Framer } from '../../../src/wire/framer.ts'
import { alice, makeFixture, type Fixture } from '../../support/gate-fixture.ts'
import { readCorpus, type CorpusCase } from '../../support/corpus.ts'
import vectors from '../../vectors/wire-v2.json' with { type: 'json' }

const CORPUS = fileURLToPath(new URL('../../corpus/wire/', import.meta.url))
const SRC = fileURLToPath(new URL('../../../src/', import.meta.url))
const cases = loadCases()

/** Every vector line was made within seconds of the negative base, so all are fresh at its ts. */
const VECTOR_NOW = (JSON.parse(vectors.negative.base.line) as { ts: number }).ts
/** Small, so the over-cap case is a 16 KiB file; framer.test.ts and gate.test.ts pin the production cap. */
const LINE_CAP = 16 * 1024

/**
 * Codes no stage of the gate produces, so no case can show them. The gate folds a
 * non-canonical line into ADMIT_BAD_SIGNATURE; only wire-v2-vectors.test.ts's own
 * judge() names WIRE_NON_CANONICAL. An entry holds only while src/ never emits it.
 */
const NOT_EMITTED = ['WIRE_NON_CANONICAL']

/** A malformed case file fails as a test of its own, not as a crash that hides the tier's other files. */
function loadCases(): CorpusCase[] {
  try {
    return readCorpus(CORPUS, { ext: 'line', optional: ['source', 'vector'] })
  } catch (err) {
    test('the wire corpus reads', () => {
      throw err
    })
    return []
  }
}

/** A `vector:` header names a line of test/vectors/wire-v2.json as group/id. */
function vectorLine(ref: string): string {
  const [group, id] = ref.split('/')
  const line =
    group === 'signed'
      ? vectors.signed.find((e) => e.id === id)?.line
      : group === 'json'
        ? vectors.json.find((e) => e.id === id)?.line
        : group === 'negative'
          ? id === 'base'
            ? vectors.negative.base.line
            : vectors.negative.cases.find((e) => e.id === id)?.line
          : undefined
  if (line === undefined) throw new Error(`no vector ${ref} (signed/<id>, json/<id>, negative/<id> or negative/base)`)
  return line
}

function input(c: CorpusCase): Buffer {
  const ref = c.headers.get('vector')
  if (ref === undefined) return c.body
  if (c.body.length > 0) throw new Error(`${c.file}: a case with vector: has no body of its own`)
  return Buffer.from(vectorLine(ref), 'utf8')
}

/** Bob, as the vectors' flows have him: alice a friend with message and inject on "chat", holding his invite. */
function listener(): Fixture {
  const invite = vectors.invite.claimToken.parsed
  let state = addFriend(emptyPeerState(), { name: 'alice', signPub: alice.signPub, encryptPub: alice.encryptPub, session: 'chat', addedAt: VECTOR_NOW })
  state = grant(state, alice.signPub, 'chat', 'inject')
  state = issueInvite(state, { nonce: invite.nonce, sub: invite.sub, sessions: invite.ses, exp: invite.exp })
  const fx = makeFixture({ state, policy: { maxLineBytes: LINE_CAP } })
  fx.clock.now = VECTOR_NOW
  return fx
}

/** A case is one line on a fresh connection: framed (with its newline), then admitted. */
function outcome(c: CorpusCase): string {
  const fx = listener()
  try {
    const framed = new Framer(LINE_CAP).push(Buffer.concat([input(c), Buffer.from('\n')]))
    if (framed.length !== 1) throw new Error(`${c.file}: frames to ${framed.length} lines, not one`)
    const line = framed[0]!
    if (!line.ok) return line.reason
    const verdict = fx.gate.admit(line.value, fx.conn)
    return verdict.ok ? 'ok' : verdict.reason
  } finally {
    fx.close()
  }
}

for (const c of cases) {
  test(`${c.file}: ${c.expect}`, () => {
    assert.is(outcome(c), c.expect, c.comment)
  })
}

test('every WIRE_* and ADMIT_* code is produced by a corpus case or asserted by refused() in gate.test.ts', () => {
  const shown = new Set<string>(cases.map((c) => c.expect))
  const gateTest = readFileSync(fileURLToPath(new URL('./gate.test.ts', import.meta.url)), 'utf8')
  for (const line of gateTest.split('\n')) {
    if (line.includes('refused(')) for (const [, code] of line.matchAll(/'((?:WIRE|ADMIT)_[A-Z0-9_]+)'/g)) shown.add(code!)
  }
  const codes = Object.keys(REASONS).filter((r) => /^(WIRE|ADMIT)_/.test(r))
  assert.equal(
    codes.filter((r) => !shown.has(r) && !NOT_EMITTED.includes(r)),
    [],
    'codes no test shows: add a corpus case or a gate.test.ts refusal',
  )

  const sources = readdirSync(SRC, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && f !== 'reasons.ts')
    .map((f) => readFileSync(join(SRC, f), 'utf8'))
  for (const code of NOT_EMITTED) {
    assert.not.ok(shown.has(code), `${code} is now shown by a test: drop it from NOT_EMITTED`)
    assert.not.ok(
      sources.some((text) => text.includes(`'${code}'`)),
      `src/ now emits ${code}: drop it from NOT_EMITTED and add a case`,
    )
  }
})

test.run()
