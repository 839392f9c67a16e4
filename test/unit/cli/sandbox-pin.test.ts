// `wopr-p2p sandbox pin` without an engine (src/sandbox/pin.ts): the YAML edit keeps
// comments, quoting and other keys; the pin lands in the file that holds the sandbox
// section; a pin that would leave a policy that does not load writes nothing. The
// engine is a neighbour here: a resolver answering from a fixed table stands in.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadPolicyDir, SHIPPED_POLICY_DIR } from '../../../src/policy/load.ts'
import { WoprP2PError } from '../../../src/reasons.ts'
import { pinSandboxImage, readPinStatus, setPinnedImage, type ResolveImage } from '../../../src/sandbox/pin.ts'
import { freshPath, modeOf } from '../../support/temp-dirs.ts'

const test = suite('sandbox pin')

const ID_A = `sha256:${'a'.repeat(64)}`
const ID_B = `sha256:${'b'.repeat(64)}`
const resolver =
  (table: Record<string, string>): ResolveImage =>
  async (ref) =>
    table[ref] ?? null

function policyDir(files: Record<string, string> = {}): string {
  const dir = freshPath('policies')
  mkdirSync(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

async function expectCode(p: Promise<unknown>, code: WoprP2PError['code']): Promise<WoprP2PError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof WoprP2PError)) throw err ?? new Error(`expected WoprP2PError ${code}, but it resolved`)
  assert.is(err.code, code, err.message)
  return err
}

test('the edit changes only the image line: comments, quoting, order and other keys stay', () => {
  const shipped = readFileSync(join(SHIPPED_POLICY_DIR, 'sandbox.yaml'), 'utf8')
  const { text, previous } = setPinnedImage(shipped, ID_A)
  assert.is(previous, '')
  const before = shipped.split('\n')
  const after = text.split('\n')
  assert.is(after.length, before.length)
  const changed = after.flatMap((line, i) => (line === before[i] ? [] : [[before[i], line]]))
  assert.equal(changed, [['  image: ""', `  image: "${ID_A}"`]])
})

test('a second pin replaces the first and reports it as previous', () => {
  const once = setPinnedImage('sandbox:\n  image: "" # pinned by the operator\n  pidsLimit: 50\n', ID_A).text
  const twice = setPinnedImage(once, ID_B)
  assert.is(twice.previous, ID_A)
  assert.is(twice.text, `sandbox:\n  image: "${ID_B}" # pinned by the operator\n  pidsLimit: 50\n`)
})

test('a sandbox section without image, another section, or an empty file get the key added', () => {
  assert.is(setPinnedImage('# limits only\nsandbox:\n  pidsLimit: 50\n', ID_A).text, `# limits only\nsandbox:\n  pidsLimit: 50\n  image: ${ID_A}\n`)
  assert.is(setPinnedImage('admission:\n  allowV1: false\n', ID_A).text, `admission:\n  allowV1: false\nsandbox:\n  image: ${ID_A}\n`)
  assert.is(setPinnedImage('', ID_A).text, `sandbox:\n  image: ${ID_A}\n`)
})

test('only a full image ID is ever written; a YAML file that does not parse is refused', () => {
  for (const bad of ['wopr-p2p-sandbox:local', 'sha256:abc', `sha256:${'A'.repeat(64)}`, `${ID_A}\n`]) {
    assert.throws(() => setPinnedImage('', bad), RangeError)
  }
  let thrown: unknown
  try {
    setPinnedImage('sandbox: [unclosed\n', ID_A)
  } catch (e) {
    thrown = e
  }
  assert.instance(thrown, WoprP2PError)
  assert.is((thrown as WoprP2PError).code, 'POLICY_SYNTAX')
})

test('pin writes the resolved ID into a copy of the shipped policies, which then loads with it', async () => {
  const dir = policyDir()
  for (const name of readdirSync(SHIPPED_POLICY_DIR)) copyFileSync(join(SHIPPED_POLICY_DIR, name), join(dir, name))
  chmodSync(join(dir, 'sandbox.yaml'), 0o640)
  const r = await pinSandboxImage({ policyDir: dir, image: 'wopr-p2p-sandbox:local', resolveImage: resolver({ 'wopr-p2p-sandbox:local': ID_A }) })
  assert.equal(r, { file: join(dir, 'sandbox.yaml'), previous: '', imageId: ID_A, changed: true })
  const loaded = loadPolicyDir(dir)
  assert.ok(loaded.ok)
  if (loaded.ok) assert.is(loaded.policy.sandbox.image, ID_A)
  assert.is(modeOf(join(dir, 'sandbox.yaml')), 0o640, 'the operator file keeps its mode')
  assert.equal(readdirSync(dir).filter((n) => n.includes('wopr-tmp')), [], 'no temp file left')

  const again = await pinSandboxImage({ policyDir: dir, image: 'wopr-p2p-sandbox:local', resolveImage: resolver({ 'wopr-p2p-sandbox:local': ID_A }) })
  assert.is(again.changed, false)
  const moved = await pinSandboxImage({ policyDir: dir, image: 'wopr-p2p-sandbox:local', resolveImage: resolver({ 'wopr-p2p-sandbox:local': ID_B }) })
  assert.equal([moved.previous, moved.imageId, moved.changed], [ID_A, ID_B, true])
})

test('pin edits the file that holds the sandbox section, or creates sandbox.yaml', async () => {
  const shared = policyDir({ 'all.yaml': 'admission:\n  allowV1: false\nsandbox:\n  pidsLimit: 50\n' })
  const r = await pinSandboxImage({ policyDir: shared, image: 'x', resolveImage: resolver({ x: ID_A }) })
  assert.is(r.file, join(shared, 'all.yaml'))
  assert.equal(readdirSync(shared), ['all.yaml'])

  const none = policyDir({ 'admission.yaml': 'admission:\n  allowV1: false\n' })
  const made = await pinSandboxImage({ policyDir: none, image: 'x', resolveImage: resolver({ x: ID_B }) })
  assert.is(made.file, join(none, 'sandbox.yaml'))
  assert.is(modeOf(made.file), 0o644)
  const loaded = loadPolicyDir(none)
  assert.ok(loaded.ok && loaded.policy.sandbox.image === ID_B && loaded.policy.admission.allowV1 === false)
})

test('refused, with nothing written: shipped defaults, a missing directory, an unknown image, a policy that would not load', async () => {
  const resolve = resolver({ x: ID_A })
  await expectCode(pinSandboxImage({ policyDir: SHIPPED_POLICY_DIR, image: 'x', resolveImage: resolve }), 'PIN_SHIPPED_POLICY')
  await expectCode(pinSandboxImage({ policyDir: freshPath('absent'), image: 'x', resolveImage: resolve }), 'IO')

  const dir = policyDir({ 'sandbox.yaml': 'sandbox:\n  image: ""\n' })
  await expectCode(pinSandboxImage({ policyDir: dir, image: 'nope', resolveImage: resolve }), 'PIN_IMAGE_MISSING')
  writeFileSync(join(dir, 'model.yaml'), 'model:\n  endpont: http://typo\n')
  await expectCode(pinSandboxImage({ policyDir: dir, image: 'x', resolveImage: resolve }), 'POLICY_UNKNOWN_KEY')
  assert.is(readFileSync(join(dir, 'sandbox.yaml'), 'utf8'), 'sandbox:\n  image: ""\n')
})

test('status reports the pin and what the name resolves to now', async () => {
  const dir = policyDir({ 'sandbox.yaml': `sandbox:\n  image: "${ID_A}"\n` })
  assert.equal(await readPinStatus({ policyDir: dir, image: 'x', resolveImage: resolver({ x: ID_B }) }), { policyDir: dir, pinned: ID_A, image: 'x', imageId: ID_B })
  assert.is((await readPinStatus({ policyDir: dir, image: 'y', resolveImage: resolver({}) })).imageId, null)
})

test.run()
