// policies/seccomp.json inside real sandbox containers (DESIGN.md "The sandbox";
// DOCKER-HAZARDS.md "Seccomp for a Node runner"): a static probe reports each
// forbidden syscall's errno. A variant whose default errno is a marker proves the
// A variant whose default action is SCMP_ACT_TRAP proves the filter, not a missing
// capability, is what refuses them (Docker 20.10 ignores defaultErrnoRet, so an
// errno marker cannot).

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { runCommand, sandboxEnv, sandboxPolicy, SECCOMP_PROFILE } from '../support/sandbox-engine.ts'
import { probeImage } from '../support/sandbox-image.ts'
import { MUST_ENOSYS, MUST_EPERM, MUST_SUCCEED } from '../support/sandbox-probe.ts'

const EPERM = 1
const ENOSYS = 38

type ProbeResult = { errno: number; trapped: boolean }

async function probe(profile: string): Promise<Map<string, ProbeResult>> {
  const { engine } = await sandboxEnv()
  const run = await runCommand(engine, sandboxPolicy(await probeImage(), profile), ['/usr/local/bin/wopr-probe'], { limitMs: 10_000 })
  assert.is(run.statusCode, 0, run.stderr)
  return new Map(run.stdout.trim().split('\n').map((line) => {
    const { name, ...result } = JSON.parse(line) as { name: string } & ProbeResult
    return [name, result]
  }))
}

function errnoOf(results: Map<string, ProbeResult>, name: string): number | undefined {
  return results.get(name)?.errno
}

test('the profile is an allowlist: default EPERM, x86-64 only, clone masked, clone3 ENOSYS', () => {
  const p = JSON.parse(SECCOMP_PROFILE)
  assert.is(p.defaultAction, 'SCMP_ACT_ERRNO')
  assert.is(p.defaultErrnoRet, EPERM)
  assert.equal(p.architectures, ['SCMP_ARCH_X86_64'])
  const allowed: string[] = p.syscalls.filter((r: { action: string; args?: unknown }) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r: { names: string[] }) => r.names)
  for (const name of [...MUST_EPERM.map((n) => n.replace(/\(.*/, '')), 'clone3']) assert.not.ok(allowed.includes(name), `${name} is allowed`)
  assert.equal(p.syscalls.find((r: { names: string[] }) => r.names.includes('clone')).args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }])
  assert.equal(p.syscalls.find((r: { names: string[] }) => r.names.includes('clone3')), {
    names: ['clone3'],
    action: 'SCMP_ACT_ERRNO',
    errnoRet: ENOSYS,
    comment: p.syscalls.find((r: { names: string[] }) => r.names.includes('clone3')).comment,
  })
})

test('inside the sandbox every forbidden syscall fails with EPERM, clone3 with ENOSYS', async () => {
  const results = await probe(SECCOMP_PROFILE)
  for (const name of MUST_EPERM) assert.is(errnoOf(results, name), EPERM, `${name}: errno ${errnoOf(results, name)}`)
  for (const name of MUST_ENOSYS) assert.is(errnoOf(results, name), ENOSYS, `${name}: errno ${errnoOf(results, name)}`)
  for (const name of MUST_SUCCEED) assert.is(errnoOf(results, name), 0, `${name}: errno ${errnoOf(results, name)}`)
})

test('the filter itself refuses them: with the default action set to TRAP, each forbidden call raises SIGSYS', async () => {
  const results = await probe(JSON.stringify({ ...JSON.parse(SECCOMP_PROFILE), defaultAction: 'SCMP_ACT_TRAP' }))
  for (const name of MUST_EPERM) assert.is(results.get(name)?.trapped, true, `${name} was not refused by the filter's default action`)
  // clone3 has its own rule, and the controls are allowed: neither reaches the default action.
  assert.equal(results.get('clone3'), { errno: ENOSYS, trapped: false })
  for (const name of MUST_SUCCEED) assert.equal(results.get(name), { errno: 0, trapped: false })
})

test('why clone3 answers ENOSYS: with EPERM, Node cannot start', async () => {
  const { engine, imageId } = await sandboxEnv()
  const p = JSON.parse(SECCOMP_PROFILE)
  p.syscalls.find((r: { names: string[] }) => r.names.includes('clone3')).errnoRet = EPERM
  const run = await runCommand(engine, sandboxPolicy(imageId, JSON.stringify(p)), ['/usr/local/bin/node', '-e', 'console.log("up")'], { limitMs: 10_000 })
  assert.is.not(run.statusCode, 0)
  assert.not.ok(run.stdout.includes('up'))
})

test('the profile file is what the proxy pins: valid JSON, and the same text every test sends', () => {
  assert.is(readFileSync(new URL('../../policies/seccomp.json', import.meta.url), 'utf8'), SECCOMP_PROFILE)
  assert.ok(SECCOMP_PROFILE.endsWith('}\n'))
})

test.run()
