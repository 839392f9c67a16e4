// The policy corpus (test/corpus/policy/, STYLE.md "Vectors and attack corpora as data"): one
// YAML file per case, its expectation in leading comments so line numbers hold:
//   # expect: <POLICY_CODE> <key.path, or - for the file as a whole> [line <N>]   |   # expect: ok
//   # comment: …   # source: …   (optional)
// A case must yield exactly that one problem. The reader refuses unknown header keys and codes.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { REASONS, type Reason } from '../../../src/reasons.ts'
import { formatProblem, validatePolicy } from '../../../src/policy/validate.ts'

const CORPUS = fileURLToPath(new URL('../../corpus/policy/', import.meta.url))
const HEADER = /^# ([a-z]+): (.*)$/
const EXPECT = /^(POLICY_[A-Z_]+) (\S+)(?: line (\d+))?$/
const KEYS = new Set(['expect', 'comment', 'source'])

type Expectation = 'ok' | { reason: Reason; path: string; line?: number }
interface Case {
  file: string
  expect: Expectation
  bytes: Buffer
}

function readCase(dir: string, name: string): Case {
  const bytes = readFileSync(join(dir, name))
  const headers = new Map<string, string>()
  for (const line of bytes.toString('latin1').split('\n')) {
    const m = HEADER.exec(line)
    if (!m) break
    if (!KEYS.has(m[1]!)) throw new Error(`${name}: unknown header key "${m[1]}"`)
    if (headers.has(m[1]!)) throw new Error(`${name}: header key "${m[1]}" given twice`)
    headers.set(m[1]!, m[2]!)
  }
  const raw = headers.get('expect')
  if (raw === undefined) throw new Error(`${name}: no leading "# expect:" line`)
  if (raw === 'ok') return { file: name, expect: 'ok', bytes }
  const m = EXPECT.exec(raw)
  if (!m || !Object.hasOwn(REASONS, m[1]!)) throw new Error(`${name}: unknown expectation "${raw}"`)
  return { file: name, bytes, expect: { reason: m[1] as Reason, path: m[2] === '-' ? '' : m[2]!, ...(m[3] ? { line: Number(m[3]) } : {}) } }
}

function readPolicyCorpus(dir = CORPUS): Case[] {
  const names = readdirSync(dir).sort()
  for (const n of names) if (!/^\d{3}-[a-z0-9]+(?:-[a-z0-9]+)*\.yaml$/.test(n)) throw new Error(`${n}: not named NNN-short-name.yaml`)
  return names.map((n) => readCase(dir, n))
}

const corpus = readPolicyCorpus()

test('the corpus has at least 25 bad files and some good ones', () => {
  assert.ok(corpus.filter((c) => c.expect !== 'ok').length >= 25)
  assert.ok(corpus.some((c) => c.expect === 'ok'))
})

test('every case yields exactly its expected problem (or none)', () => {
  const wrong = corpus.flatMap((c) => {
    const verdict = validatePolicy([{ file: c.file, bytes: c.bytes }])
    if (c.expect === 'ok') return verdict.ok ? [] : [`${c.file}: expected ok, got ${verdict.problems.map(formatProblem).join(' | ')}`]
    if (verdict.ok) return [`${c.file}: expected ${c.expect.reason}, got ok`]
    const [p, ...more] = verdict.problems
    const want = c.expect
    const match = more.length === 0 && p!.reason === want.reason && p!.path === want.path && (want.line === undefined || p!.line === want.line)
    return match ? [] : [`${c.file}: expected ${want.reason} ${want.path || '-'}${want.line ? ` line ${want.line}` : ''}, got ${verdict.problems.map((q) => `${q.reason} ${formatProblem(q)}`).join(' | ')}`]
  })
  assert.equal(wrong, [])
})

test('every POLICY_ reason except POLICY_UNREADABLE (file I/O, tested in load.test.ts) has a corpus case', () => {
  const produced = new Set(corpus.flatMap((c) => (c.expect === 'ok' ? [] : [c.expect.reason])))
  const missing = Object.keys(REASONS).filter((r) => r.startsWith('POLICY_') && r !== 'POLICY_UNREADABLE' && !produced.has(r as Reason))
  assert.equal(missing, [])
})

test('the reader refuses unknown header keys, unknown codes and codes from other areas', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-corpus-'))
  try {
    const attempt = (text: string) => {
      writeFileSync(join(dir, '001-case.yaml'), text)
      return () => readPolicyCorpus(dir)
    }
    assert.throws(attempt('# expcet: ok\nadmission: {}\n'), /unknown header key/)
    assert.throws(attempt('# expect: POLICY_NO_SUCH_CODE admission\nadmission: {}\n'), /unknown expectation/)
    assert.throws(attempt('# expect: ADMIT_REPLAY admission\nadmission: {}\n'), /unknown expectation/)
    assert.throws(attempt('admission: {}\n'), /no leading/)
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test.run()
