// Policy validation beyond single-file cases (the corpus has those): merging files, the error
// line format, contract ceilings at their exact edges, and hostile values at every key.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { isDeepStrictEqual } from 'node:util'
import { P2P_ACTION_LIMITS } from '../../../src/admission/trust.ts'
import { DEFAULT_POLICY } from '../../../src/policy/schema.ts'
import { formatPath, formatProblem, MAX_POLICY_BYTES, validatePolicy, type PolicyProblem } from '../../../src/policy/validate.ts'
import { HOSTILE_NON_STRINGS, HOSTILE_STRINGS } from '../wire/hostile-values.ts'

function problemsOf(...texts: string[]): PolicyProblem[] {
  const v = validatePolicy(texts.map((bytes, i) => ({ file: `p${i}.yaml`, bytes })))
  return v.ok ? [] : v.problems
}

/** `path` = raw YAML flow text, as one file: `{"sandbox":{"cpus":<raw>}}` (JSON is YAML 1.2 flow). */
function withValue(path: readonly string[], raw: string): string {
  const nested = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), 'VALUE-MARKER')
  return JSON.stringify(nested).replace('"VALUE-MARKER"', () => raw)
}

function leaves(value: unknown, path: string[] = []): string[][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) return [path]
  return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]))
}

test('an error line names file:line:column, the key path and why', () => {
  const [p, ...rest] = problemsOf('admission:\n  rate:\n    message:\n      perMinute: 40\n')
  assert.equal(rest, [])
  assert.is(formatProblem(p!), 'p0.yaml:4:7 admission.rate.message.perMinute: 40 is above the untrusted ceiling 30 (SECURITY.md Rate Limiting)')
})

test('a forbidden key says why it is not configurable', () => {
  const [net] = problemsOf('sandbox:\n  network: host\n')
  assert.is(net!.reason, 'POLICY_FORBIDDEN_KEY')
  assert.match(net!.message, /--network none/)
  const [typo] = problemsOf('sandbox:\n  pidLimit: 10\n')
  assert.is(typo!.reason, 'POLICY_UNKNOWN_KEY')
  assert.match(typo!.message, /did you mean pidsLimit\?/)
})

test('sections from several files merge; a section in two files is refused naming both', () => {
  const v = validatePolicy([
    { file: 'a.yaml', bytes: 'sandbox:\n  pidsLimit: 50\n' },
    { file: 'b.yaml', bytes: 'admission:\n  allowV1: true\n' },
  ])
  assert.ok(v.ok)
  assert.is(v.policy.sandbox.pidsLimit, 50)
  assert.is(v.policy.sandbox.memoryMiB, DEFAULT_POLICY.sandbox.memoryMiB)
  assert.is(v.policy.admission.allowV1, true)

  const [dup, ...rest] = problemsOf('sandbox:\n  pidsLimit: 50\n', '# later\nsandbox:\n  memoryMiB: 128\n')
  assert.equal(rest, [])
  assert.equal([dup!.reason, dup!.file, dup!.line, dup!.path], ['POLICY_DUPLICATE_KEY', 'p1.yaml', 2, 'sandbox'])
  assert.match(dup!.message, /p0\.yaml:1:1/)
})

test('every problem in every file is reported, in file then line order', () => {
  const problems = problemsOf('sandbox:\n  cpus: 2\n  pidsLimit: 500\n', 'admission: [\n', 'rotation:\n  graceHours: 25\n')
  assert.equal(
    problems.map((p) => [p.file, p.line, p.reason]),
    [
      ['p0.yaml', 2, 'POLICY_EXCEEDS_CONTRACT'],
      ['p0.yaml', 3, 'POLICY_EXCEEDS_CONTRACT'],
      ['p1.yaml', 2, 'POLICY_SYNTAX'],
      ['p2.yaml', 2, 'POLICY_EXCEEDS_CONTRACT'],
    ],
  )
})

test('each contract ceiling is accepted exactly and refused just above, never clamped', () => {
  const ceilings: [string[], number, number][] = [
    [['admission', 'freshnessSeconds'], 300, 301], // SECURITY.md Replay Protection: 5 minutes
    [['admission', 'maxPayloadChars'], 1_048_576, 1_048_577], // SECURITY.md Size Limits: 1 MB
    [['admission', 'maxLineBytes'], 1_052_672, 1_052_673], // SECURITY.md Size Limits: ~1 MB + 4 KB
    [['rotation', 'graceHours'], 24, 24.001], // SECURITY.md Key Rotation: 24 hours
    [['sandbox', 'pidsLimit'], 100, 101], // SECURITY.md Sandbox Isolation: --pids-limit 100
    [['sandbox', 'memoryMiB'], 512, 513], // --memory 512m
    [['sandbox', 'cpus'], 0.5, 0.51], // --cpus 0.5
    ...Object.entries(P2P_ACTION_LIMITS).flatMap(([action, l]) => [
      [['admission', 'rate', action, 'perMinute'], l.perMinute, l.perMinute + 1] as [string[], number, number],
      [['admission', 'rate', action, 'perHour'], l.perHour, l.perHour + 1] as [string[], number, number],
    ]),
  ]
  for (const [path, at, above] of ceilings) {
    assert.equal(problemsOf(withValue(path, String(at))), [], `${path.join('.')} = ${at}`)
    assert.equal(problemsOf(withValue(path, String(above))).map((p) => [p.reason, p.path]), [['POLICY_EXCEEDS_CONTRACT', formatPath(path)]], `${path.join('.')} = ${above}`)
  }
})

test('hostile values at every key are refused in that section, or accepted exactly as written', () => {
  for (const path of leaves(DEFAULT_POLICY)) {
    for (const raw of [...HOSTILE_NON_STRINGS, ...HOSTILE_STRINGS]) {
      const v = validatePolicy([{ file: 'h.yaml', bytes: withValue(path, raw) }])
      const where = `${formatPath(path)} = ${raw.slice(0, 30)}`
      if (v.ok) {
        let got: unknown = v.policy
        for (const k of path) got = (got as Record<string, unknown>)[k]
        assert.ok(isDeepStrictEqual(got, JSON.parse(raw)), `${where}: accepted but changed`)
      } else {
        // At the key itself, or at a sibling a cross-key check ties it to (model.model needs model.endpoint).
        const off = v.problems.filter((p) => !p.path.startsWith(`${path[0]!}.`))
        assert.equal(off, [], `${where}: problem reported elsewhere`)
      }
    }
  }
})

test('a file over 1 MiB is refused before parsing; bytes that are not UTF-8 are refused, not replaced', () => {
  const big = `# ${'x'.repeat(MAX_POLICY_BYTES)}\n`
  assert.equal(problemsOf(big).map((p) => p.reason), ['POLICY_RESOURCE_LIMIT'])
  const v = validatePolicy([{ file: 'l.yaml', bytes: Buffer.from('sessions:\n  defaultSystemPrompt: caf\xe9\n', 'latin1') }])
  assert.equal(v.ok ? [] : v.problems.map((p) => p.reason), ['POLICY_SYNTAX'])
})

test.run()
