// `wopr-p2p sandbox pin` and `sandbox show` against the real engine (src/sandbox/pin.ts,
// src/cli/sandbox-commands.ts): with no --image, pin resolves the tag that
// scripts/build-sandbox-image.sh gives its image, writes that ID into the operator's
// sandbox.yaml with every comment kept, and show agrees; an unknown name writes nothing.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../../src/cli/program.ts'
import { loadPolicyDir, SHIPPED_POLICY_DIR } from '../../src/policy/load.ts'
import { connectEngine } from '../support/engine-harness.ts'
import { sandboxImage } from '../support/sandbox-image.ts'
import { freshPath } from '../support/temp-dirs.ts'

const test = suite('sandbox pin on the engine')

let builtId: string
let setupError: unknown

test.before(async () => {
  try {
    await connectEngine()
    builtId = await sandboxImage()
  } catch (e) {
    setupError = e
  }
})

function operatorDir(): string {
  const dir = freshPath('policies')
  mkdirSync(dir)
  for (const name of readdirSync(SHIPPED_POLICY_DIR)) copyFileSync(join(SHIPPED_POLICY_DIR, name), join(dir, name))
  return dir
}

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = []
  const code = await runCli(['node', 'wopr-p2p', ...args], (s) => out.push(s))
  return { code, out: out.join('') }
}

test('pin with no --image pins what the build script tagged, keeping every comment; show agrees', async () => {
  if (setupError) throw setupError
  const dir = operatorDir()
  const before = readFileSync(join(dir, 'sandbox.yaml'), 'utf8')
  const pinned = await cli('sandbox', 'pin', '--policy-dir', dir)
  assert.is(pinned.code, 0, pinned.out)
  assert.match(pinned.out, `(none) → ${builtId}`)

  const after = readFileSync(join(dir, 'sandbox.yaml'), 'utf8')
  assert.is(after, before.replace('image: ""', `image: "${builtId}"`))
  const loaded = loadPolicyDir(dir)
  assert.ok(loaded.ok && loaded.policy.sandbox.image === builtId)

  const shown = await cli('sandbox', 'show', '--json', '--policy-dir', dir)
  assert.equal(JSON.parse(shown.out), { policyDir: dir, pinned: builtId, image: 'wopr-p2p-sandbox:local', imageId: builtId, current: true })
  const again = await cli('sandbox', 'pin', '--policy-dir', dir)
  assert.match(again.out, 'already pinned')
})

test('pinning a name the engine does not have fails and writes nothing', async () => {
  if (setupError) throw setupError
  const dir = operatorDir()
  const before = readFileSync(join(dir, 'sandbox.yaml'), 'utf8')
  const r = await cli('sandbox', 'pin', '--image', `wopr-p2p-no-such-image:${process.pid}`, '--policy-dir', dir)
  assert.is(r.code, 1)
  assert.is(readFileSync(join(dir, 'sandbox.yaml'), 'utf8'), before)
  assert.is((await cli('sandbox', 'pin', '--image', 'Bad Name!', '--policy-dir', dir)).code, 2, 'a malformed name is a usage error')
  assert.is(readFileSync(join(dir, 'sandbox.yaml'), 'utf8'), before)
})

test.run()
