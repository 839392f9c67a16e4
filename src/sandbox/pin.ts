// `wopr-p2p sandbox pin` (DESIGN.md "The sandbox": started by image ID only; a tag
// that later points at another image is refused until an operator re-pins): resolve
// the sandbox image name to its ID once, and record that ID as `sandbox.image` in the
// operator's policy file, keeping its comments and other keys, atomically.

import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { isScalar, parseDocument } from 'yaml'
import { listPolicyFiles, loadPolicyDir, policyError, SHIPPED_POLICY_DIR } from '../policy/load.ts'
import { IMAGE_ID } from '../policy/schema.ts'
import { validatePolicy } from '../policy/validate.ts'
import { WoprP2PError } from '../reasons.ts'
import { writeFileAtomic } from '../store/atomic-file.ts'

/** The tag scripts/build-sandbox-image.sh gives its image (SANDBOX_TAG): a convenience name, resolved once here. */
export const DEFAULT_SANDBOX_IMAGE = 'wopr-p2p-sandbox:local'

const NEW_FILE_HEADER = '# wopr-p2p policy: sandbox. Written by `wopr-p2p sandbox pin`; keys not set here take the\n# defaults described in the shipped policies/sandbox.yaml.\n'

/** Image name or ID → the engine's full image ID, or null when the engine has no such image. */
export type ResolveImage = (ref: string) => Promise<string | null>

/** `text` with sandbox.image set to `imageId`; everything else (comments, order, quoting, other keys) as it was. Pure. */
export function setPinnedImage(text: string, imageId: string): { text: string; previous: string } {
  if (!IMAGE_ID.test(imageId)) throw new RangeError(`not an image ID: ${imageId.slice(0, 80)}`)
  const doc = parseDocument(text)
  if (doc.errors.length > 0) throw new WoprP2PError('POLICY_SYNTAX', `policy file does not parse: ${doc.errors[0]?.message}`, 'fix it (wopr-p2p policy check <dir>), then pin again')
  const before = doc.getIn(['sandbox', 'image'])
  const node = doc.getIn(['sandbox', 'image'], true)
  // Changing the scalar in place keeps its quoting and the comments attached to it.
  if (isScalar(node)) node.value = imageId
  else doc.setIn(['sandbox', 'image'], imageId)
  return { text: doc.toString(), previous: typeof before === 'string' ? before : '' }
}

export type PinOutcome = { file: string; previous: string; imageId: string; changed: boolean }

export async function pinSandboxImage(o: { policyDir: string; image: string; resolveImage: ResolveImage }): Promise<PinOutcome> {
  const dir = resolve(o.policyDir)
  if (dir === resolve(SHIPPED_POLICY_DIR)) {
    throw new WoprP2PError('PIN_SHIPPED_POLICY', `${dir} holds the shipped default policies`, 'copy it to a directory of your own and pass --policy-dir <dir> (or set WOPR_P2P_POLICY_DIR)')
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new WoprP2PError('IO', `policy directory ${dir} does not exist`, `create it (mkdir -p ${dir}), or copy the shipped policies/ there`)
  }
  const imageId = await o.resolveImage(o.image)
  if (imageId === null) {
    throw new WoprP2PError('PIN_IMAGE_MISSING', `the engine has no image ${o.image}`, 'build it first (scripts/build-sandbox-image.sh), or name another with --image')
  }

  const files = listPolicyFiles(dir)
  const file = files.find(holdsSandboxSection) ?? join(dir, 'sandbox.yaml')
  const exists = existsSync(file)
  const edited = setPinnedImage(exists ? readFileSync(file, 'utf8') : NEW_FILE_HEADER, imageId)
  // The directory as the proxy would load it after the write: a pin never leaves a policy that refuses to load.
  const others = files.filter((f) => f !== file).map((f) => ({ file: f, bytes: readFileSync(f) }))
  const verdict = validatePolicy([...others, { file, bytes: edited.text }])
  if (!verdict.ok) throw policyError(verdict.problems, `fix the lines above (wopr-p2p policy check ${dir}), then pin again; nothing was written`)

  const changed = !exists || edited.previous !== imageId
  if (changed) {
    // Policy files are read by the proxy, maybe under another uid: an existing file keeps its mode.
    const mode = exists ? statSync(file).mode & 0o777 : 0o644
    writeFileAtomic(file, edited.text)
    chmodSync(file, mode)
  }
  return { file, previous: edited.previous, imageId, changed }
}

export type PinStatus = { policyDir: string; pinned: string; image: string; imageId: string | null }

/** What is pinned in `policyDir`, and what `image` resolves to on the engine now. */
export async function readPinStatus(o: { policyDir: string; image: string; resolveImage: ResolveImage }): Promise<PinStatus> {
  const loaded = loadPolicyDir(o.policyDir)
  if (!loaded.ok) throw policyError(loaded.problems, `fix the lines above; wopr-p2p policy check ${o.policyDir} shows the same`)
  return { policyDir: o.policyDir, pinned: loaded.policy.sandbox.image, image: o.image, imageId: await o.resolveImage(o.image) }
}

/** Does this file's top level define the sandbox section? (A file that does not parse is left to validation.) */
function holdsSandboxSection(file: string): boolean {
  const doc = parseDocument(readFileSync(file, 'utf8'))
  return doc.errors.length === 0 && doc.has('sandbox')
}
