// The sidecar's create body (src/sandbox/host-config.ts) against the proxy's create
// policy (src/docker-proxy/create-policy.ts): what the sidecar builds passes the
// proxy unchanged, at the policy's limits (STYLE.md "Pure logic and I/O").

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { parseStrictJson } from '../../../src/docker-proxy/body.ts'
import { checkCreateBody, DEFAULT_LIMITS, type SandboxPolicy } from '../../../src/docker-proxy/create-policy.ts'
import { buildCreateBody, SANDBOX_USER } from '../../../src/sandbox/host-config.ts'

const policy: SandboxPolicy = {
  imageId: `sha256:${'ab'.repeat(32)}`,
  seccompProfile: readFileSync(new URL('../../../policies/seccomp.json', import.meta.url), 'utf8'),
  ...DEFAULT_LIMITS,
  label: { key: 'wopr-p2p.sandbox', value: 'sidecar' },
}

function check(body: unknown) {
  return checkCreateBody((parseStrictJson(Buffer.from(JSON.stringify(body))) as { ok: true; value: never }).value, policy)
}

test('the built body passes the proxy, and the proxy forwards it unchanged', () => {
  const body = buildCreateBody(policy, { 'wopr-p2p.sandbox.job': 'j1' })
  const verdict = check(body)
  assert.ok(verdict.ok, JSON.stringify(verdict))
  if (verdict.ok) assert.equal(JSON.parse(verdict.value), body)
})

test('the body is hardened as DESIGN.md "The sandbox" lists', () => {
  const host = buildCreateBody(policy).HostConfig
  assert.is(host.NetworkMode, 'none')
  assert.is(host.ReadonlyRootfs, true)
  assert.equal(host.CapDrop, ['ALL'])
  assert.equal(host.SecurityOpt, ['no-new-privileges', `seccomp=${policy.seccompProfile}`])
  assert.is(host.PidsLimit, 100)
  assert.is(host.Memory, 512 * 1024 * 1024)
  assert.is(host.MemorySwap, host.Memory)
  assert.is(host.NanoCpus, 500_000_000)
  assert.is(host.Tmpfs['/tmp'], `rw,noexec,nosuid,nodev,size=${64 * 1024 * 1024}`)
  assert.is(SANDBOX_USER.split(':')[0], '65534')
})

test('labels outside the policy label are refused at build time', () => {
  assert.throws(() => buildCreateBody(policy, { other: 'x' }), RangeError)
})

test.run()
