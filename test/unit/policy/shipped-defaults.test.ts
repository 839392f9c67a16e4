// The shipped policies/ are the documentation of every key and must not drift from the code:
// they validate, they equal the built-in defaults, every key appears in them with a comment,
// and the defaults are the contract's numbers as the rest of the code holds them.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { isMap, parseDocument, type YAMLMap } from 'yaml'
import { DEFAULT_GATE_POLICY } from '../../../src/admission/gate.ts'
import { clampP2PLimits, P2P_ACTION_LIMITS } from '../../../src/admission/trust.ts'
import { DEFAULT_LIMITS as PROXY_LIMITS } from '../../../src/docker-proxy/create-policy.ts'
import { listPolicyFiles, loadPolicyDir, SHIPPED_POLICY_DIR } from '../../../src/policy/load.ts'
import { DEFAULT_POLICY, gatePolicyOf, policySchema, SANDBOX_CEILINGS } from '../../../src/policy/schema.ts'
import { formatPath, formatProblem } from '../../../src/policy/validate.ts'

const files = listPolicyFiles(SHIPPED_POLICY_DIR)

/** Every key path with a scalar, list or empty-mapping value: the keys an operator sets. */
function leafPaths(value: unknown, path: string[] = []): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) return [formatPath(path)]
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]))
}

/** Each key of the YAML with the comment written just above it (a map's first key's comment sits on the map). */
function commentedKeys(map: YAMLMap, path: string[] = []): { path: string; comment: string }[] {
  return map.items.flatMap((pair, i) => {
    const key = String((pair.key as { value: unknown }).value)
    const comment = (pair.key as { commentBefore?: string | null }).commentBefore ?? (i === 0 ? map.commentBefore : undefined) ?? ''
    const here = { path: formatPath([...path, key]), comment }
    return [here, ...(isMap(pair.value) ? commentedKeys(pair.value, [...path, key]) : [])]
  })
}

test('the shipped policy files validate and equal the built-in defaults', () => {
  const loaded = loadPolicyDir(SHIPPED_POLICY_DIR)
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.problems.map(formatProblem).join('\n'))
  assert.equal(loaded.policy, DEFAULT_POLICY)
})

test('each shipped file holds the one section it is named after', () => {
  assert.ok(files.length > 0)
  for (const f of files) {
    const sections = Object.keys(parseDocument(readFileSync(f, 'utf8')).toJS() as object)
    assert.equal(sections, [basename(f, '.yaml')], f)
  }
  assert.equal(files.map((f) => basename(f, '.yaml')).sort(), Object.keys(DEFAULT_POLICY).sort())
})

test('every key of the schema is written out in the shipped files, each with a comment above it', () => {
  const written = files.flatMap((f) => commentedKeys(parseDocument(readFileSync(f, 'utf8')).contents as YAMLMap))
  const paths = new Set(written.map((w) => w.path))
  assert.equal(leafPaths(DEFAULT_POLICY).filter((p) => !paths.has(p)), [], 'keys missing from policies/')
  assert.equal(written.filter((w) => w.comment.trim() === '').map((w) => w.path), [], 'keys without a comment')
})

test('the defaults are the contract: the untrusted rate row, the gate policy, the sandbox flags', () => {
  assert.equal(DEFAULT_POLICY.admission.rate, P2P_ACTION_LIMITS)
  assert.equal(clampP2PLimits(DEFAULT_POLICY.admission.rate), DEFAULT_POLICY.admission.rate)
  assert.equal(gatePolicyOf(DEFAULT_POLICY), DEFAULT_GATE_POLICY)
  assert.equal(DEFAULT_POLICY.friends.defaultCapabilities, ['message'])
  // The docker proxy holds the same three numbers as bytes and nano-CPUs.
  assert.is(SANDBOX_CEILINGS.pidsLimit, PROXY_LIMITS.maxPids)
  assert.is(SANDBOX_CEILINGS.memoryMiB * 1024 * 1024, PROXY_LIMITS.maxMemory)
  assert.is(SANDBOX_CEILINGS.cpus * 1e9, PROXY_LIMITS.maxNanoCpus)
  assert.is(DEFAULT_POLICY.sandbox.tmpfsMiB * 1024 * 1024, PROXY_LIMITS.maxTmpfsBytes)
})

test('an empty document is the defaults, and the defaults are frozen all the way down', () => {
  assert.equal(policySchema.parse({}), DEFAULT_POLICY)
  assert.ok(Object.isFrozen(DEFAULT_POLICY.admission.rate.message))
  assert.ok(Object.isFrozen(DEFAULT_POLICY.friends.defaultCapabilities))
  assert.throws(() => {
    ;(DEFAULT_POLICY.admission as { allowV1: boolean }).allowV1 = true
  }, TypeError)
})

test.run()
