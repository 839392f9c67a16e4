// Reading the policy directory: which files count, what "missing" means, and files that exist
// but cannot be read (POLICY_UNREADABLE: the one code no corpus text can produce).

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { listPolicyFiles, loadPolicyDir, loadPolicyFiles, resolvePolicyDir, SHIPPED_POLICY_DIR } from '../../../src/policy/load.ts'
import { DEFAULT_POLICY } from '../../../src/policy/schema.ts'
import { MAX_POLICY_BYTES } from '../../../src/policy/validate.ts'
import { freshPath } from '../../support/temp-dirs.ts'

function dirWith(files: Record<string, string>): string {
  const dir = freshPath('policies')
  mkdirSync(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

test('a missing policy directory means the built-in defaults', () => {
  const loaded = loadPolicyDir(freshPath('none'))
  assert.ok(loaded.ok)
  assert.equal(loaded.files, [])
  assert.equal(loaded.policy, DEFAULT_POLICY)
})

test('*.yaml and *.yml count; dotfiles (editor swap and lock files) and other files do not', () => {
  const dir = dirWith({
    'sandbox.yaml': 'sandbox:\n  pidsLimit: 50\n',
    'admission.yml': 'admission:\n  allowV1: true\n',
    '.#sandbox.yaml': 'sandbox: broken',
    'sandbox.yaml~': 'sandbox: broken',
    'seccomp.json': '{}',
    'README.md': '# notes',
  })
  assert.equal(listPolicyFiles(dir), [join(dir, 'admission.yml'), join(dir, 'sandbox.yaml')])
  const loaded = loadPolicyDir(dir)
  assert.ok(loaded.ok)
  assert.is(loaded.policy.sandbox.pidsLimit, 50)
  assert.is(loaded.policy.admission.allowV1, true)
})

test('a symlinked policy file is followed (Kubernetes ConfigMap mounts are symlinks)', () => {
  const dir = dirWith({ '..data-sandbox.yaml.real': 'sandbox:\n  cpus: 0.25\n' })
  symlinkSync(join(dir, '..data-sandbox.yaml.real'), join(dir, 'sandbox.yaml'))
  const loaded = loadPolicyDir(dir)
  assert.ok(loaded.ok)
  assert.is(loaded.policy.sandbox.cpus, 0.25)
})

test('a named file that is missing or not a regular file is POLICY_UNREADABLE, never skipped', () => {
  const dir = dirWith({ 'ok.yaml': 'admission: {}\n' })
  mkdirSync(join(dir, 'dir.yaml'))
  const loaded = loadPolicyFiles([join(dir, 'ok.yaml'), join(dir, 'gone.yaml'), join(dir, 'dir.yaml')])
  assert.ok(!loaded.ok)
  assert.equal(
    loaded.problems.map((p) => [p.reason, p.file, p.message]),
    [
      ['POLICY_UNREADABLE', join(dir, 'gone.yaml'), 'no such file'],
      ['POLICY_UNREADABLE', join(dir, 'dir.yaml'), 'is not a regular file'],
    ],
  )
  // In a directory load too: a directory named like a policy file is an error, not ignored.
  assert.ok(!loadPolicyDir(dir).ok)
})

test('an oversized file is refused from its size alone', () => {
  const dir = dirWith({ 'huge.yaml': '' })
  truncateSync(join(dir, 'huge.yaml'), MAX_POLICY_BYTES + 1)
  const loaded = loadPolicyDir(dir)
  assert.equal(loaded.ok ? [] : loaded.problems.map((p) => p.reason), ['POLICY_RESOURCE_LIMIT'])
})

test('the policy directory: --policy-dir, else WOPR_P2P_POLICY_DIR, else the shipped policies/', () => {
  assert.is(resolvePolicyDir({ flag: 'x/p', env: { WOPR_P2P_POLICY_DIR: '/etc/p' } }), resolve('x/p'))
  assert.is(resolvePolicyDir({ flag: '', env: { WOPR_P2P_POLICY_DIR: '/etc/p' } }), '/etc/p')
  assert.is(resolvePolicyDir({ env: { WOPR_P2P_POLICY_DIR: '' } }), resolve(SHIPPED_POLICY_DIR))
})

test.run()
