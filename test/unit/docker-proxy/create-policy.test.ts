// The create policy against the shared builder (DESIGN.md "The sandbox"; STYLE.md
// "Pure logic and I/O"): what the sidecar builds passes the proxy unchanged, and the
// forwarded body is rebuilt from validated values only. Attacks are in the corpus.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseStrictJson } from '../../../src/docker-proxy/body.ts'
import { checkCreateBody, type SandboxPolicy } from '../../../src/docker-proxy/create-policy.ts'
import { buildCreateBody as buildSidecarBody } from '../../../src/sandbox/host-config.ts'
import { buildCreateBody, testPolicy } from '../../support/engine-fixtures.ts'

const policy = testPolicy(`sha256:${'12'.repeat(32)}`)

function check(body: unknown, p: SandboxPolicy = policy) {
  const parsed = parseStrictJson(Buffer.from(JSON.stringify(body)))
  if (!parsed.ok) throw new Error(parsed.reason)
  return checkCreateBody(parsed.value, p)
}

test('the shared builder passes and is forwarded unchanged', () => {
  const body = buildCreateBody(policy)
  const r = check(body)
  assert.ok(r.ok)
  if (r.ok) assert.equal(JSON.parse(r.value), body)
})

test("what the sidecar builds (src/sandbox/host-config.ts) passes the proxy unchanged", () => {
  for (const body of [buildSidecarBody(policy), buildSidecarBody(policy, { [`${policy.label.key}.job`]: '42' })]) {
    const r = check(body)
    assert.ok(r.ok, r.ok ? '' : `${r.reason} ${r.detail ?? ''}`)
    if (r.ok) assert.equal(JSON.parse(r.value), body)
  }
})

test('with nothing pinned no image passes, not even an empty one', () => {
  const unpinned = testPolicy('')
  for (const image of ['', policy.imageId, 'busybox']) {
    const r = check({ ...buildCreateBody(unpinned), Image: image }, unpinned)
    assert.is(r.ok ? 'ok' : r.reason, 'PROXY_IMAGE_NOT_PINNED', `Image "${image}"`)
  }
})

test('the forwarded body is rebuilt: same meaning, fresh text in our key order', () => {
  const body = buildCreateBody(policy)
  const reordered = Object.fromEntries(Object.entries(body).reverse())
  const r = check(reordered)
  assert.ok(r.ok)
  if (r.ok) {
    assert.equal(JSON.parse(r.value), body)
    assert.is.not(r.value, JSON.stringify(reordered))
    assert.ok(r.value.startsWith('{"Image":'))
  }
})

test('the seccomp profile is compared byte for byte', () => {
  const other = { ...policy, seccompProfile: `${policy.seccompProfile} ` }
  const r = check(buildCreateBody(policy), other)
  assert.ok(!r.ok && r.reason === 'PROXY_SECURITY_OPT')
})

test('limits pass at the policy maximum and fail one past it', () => {
  const cases: [string, number, number][] = [
    ['PidsLimit', policy.maxPids, policy.maxPids + 1],
    ['NanoCpus', policy.maxNanoCpus, policy.maxNanoCpus + 1],
  ]
  for (const [field, atMax, over] of cases) {
    const body = buildCreateBody(policy) as { HostConfig: Record<string, unknown> }
    body.HostConfig[field] = atMax
    assert.ok(check(body).ok, field)
    body.HostConfig[field] = over
    const r = check(body)
    assert.ok(!r.ok && r.reason === 'PROXY_LIMITS', field)
  }
  const mem = buildCreateBody(policy) as { HostConfig: Record<string, unknown> }
  mem.HostConfig.Memory = mem.HostConfig.MemorySwap = policy.maxMemory + 1
  const r = check(mem)
  assert.ok(!r.ok && r.reason === 'PROXY_LIMITS')
  const tmp = buildCreateBody(policy) as { HostConfig: Record<string, unknown> }
  tmp.HostConfig.Tmpfs = { '/tmp': `nosuid,nodev,size=${policy.maxTmpfsBytes + 1}` }
  const t = check(tmp)
  assert.ok(!t.ok && t.reason === 'PROXY_LIMITS')
})

test('a body that is not an object is refused', () => {
  for (const body of [[], 'x', 1, null]) {
    const r = check(body)
    assert.ok(!r.ok && r.reason === 'PROXY_FIELD_VALUE')
  }
})

test.run()
