// `wopr-p2p policy check` and `policy show`, through commander as program.ts registers them:
// "ok" or a WoprP2PError whose message has one file:line:column line per problem.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Command } from 'commander'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { registerPolicyCommands } from '../../../src/cli/policy-commands.ts'
import { SHIPPED_POLICY_DIR } from '../../../src/policy/load.ts'
import { DEFAULT_POLICY } from '../../../src/policy/schema.ts'
import { validatePolicy } from '../../../src/policy/validate.ts'
import { WoprP2PError } from '../../../src/reasons.ts'
import { freshPath } from '../../support/temp-dirs.ts'

const CORPUS = fileURLToPath(new URL('../../corpus/policy/', import.meta.url))

async function run(...args: string[]): Promise<{ out: string; error?: WoprP2PError }> {
  let out = ''
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} })
  registerPolicyCommands(program, (s) => void (out += s))
  try {
    await program.parseAsync(['node', 'wopr-p2p', ...args])
    return { out }
  } catch (err) {
    if (err instanceof WoprP2PError) return { out, error: err }
    throw err
  }
}

test('policy check of the shipped files, or of their directory, prints ok', async () => {
  assert.equal(await run('policy', 'check', SHIPPED_POLICY_DIR), { out: 'ok\n' })
  assert.equal(await run('policy', 'check', join(SHIPPED_POLICY_DIR, 'sandbox.yaml'), join(SHIPPED_POLICY_DIR, 'admission.yaml')), { out: 'ok\n' })
})

test('policy check of a bad file fails with one file:line:column line per problem and a hint', async () => {
  const file = join(CORPUS, '024-sandbox-network-host.yaml')
  const { out, error } = await run('policy', 'check', file)
  assert.is(out, '')
  assert.is(error?.code, 'POLICY_FORBIDDEN_KEY')
  assert.ok(error!.message.split('\n').includes(`${file}:5:3 sandbox.network: the sandbox never has a network: it runs with --network none (SECURITY.md Sandbox Isolation)`), error!.message)
  assert.match(error!.hint ?? '', /policy check/)
})

test('files named together are checked together: a section in two of them is refused', async () => {
  const dir = freshPath('two')
  mkdirSync(dir)
  writeFileSync(join(dir, 'mine.yaml'), 'sandbox:\n  cpus: 0.25\n')
  const { error } = await run('policy', 'check', join(SHIPPED_POLICY_DIR, 'sandbox.yaml'), join(dir, 'mine.yaml'))
  assert.is(error?.code, 'POLICY_DUPLICATE_KEY')
  assert.is((await run('policy', 'check', join(dir, 'missing.yaml'))).error?.code, 'POLICY_UNREADABLE')
})

test('policy show prints the effective policy; its YAML is itself a valid policy file', async () => {
  const dir = freshPath('show')
  mkdirSync(dir)
  writeFileSync(join(dir, 'rotation.yaml'), 'rotation:\n  graceHours: 2\n')
  const json = await run('policy', 'show', '--policy-dir', dir, '--json')
  const shown = JSON.parse(json.out)
  assert.is(shown.rotation.graceHours, 2)
  assert.equal({ ...shown, rotation: DEFAULT_POLICY.rotation }, DEFAULT_POLICY)

  const yaml = await run('policy', 'show', '--policy-dir', dir)
  assert.match(yaml.out, /^# effective policy from /)
  const again = validatePolicy([{ file: 'shown.yaml', bytes: yaml.out }])
  assert.ok(again.ok)
  assert.equal(again.policy, shown)
})

test('policy show of a bad policy directory fails like check', async () => {
  const dir = freshPath('bad')
  mkdirSync(dir)
  writeFileSync(join(dir, 'admission.yaml'), 'admission:\n  freshnessSeconds: 900\n')
  const { error } = await run('policy', 'show', '--policy-dir', dir)
  assert.is(error?.code, 'POLICY_EXCEEDS_CONTRACT')
  assert.match(error!.message, /admission\.yaml:2:3 admission\.freshnessSeconds: 900 is above/)
})

test.run()
