// The images the sandbox engine tests run (ENVIRONMENT.md "No container registry"):
// the local base (scripts/make-base-image.sh, cached by tag), the sandbox image
// built on it (scripts/build-sandbox-image.sh, once per process; Docker's cache
// makes a rebuild of unchanged sources a no-op with the same ID), and a test-only
// image that adds the static syscall probe (sandbox-probe.ts) on top.

import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PROBE_SOURCE } from './sandbox-probe.ts'

const run = promisify(execFile)
const ROOT = new URL('../..', import.meta.url).pathname
export const BASE_TAG = 'wopr-p2p-base:test'
const PROBE_TAG = 'wopr-p2p-sandbox-probe:test'
/** BuildKit reads `FROM sha256:…` as a Docker Hub repository named sha256; a local tag resolves locally. */
const PROBE_BASE_TAG = 'wopr-p2p-sandbox-probe-base:test'

async function script(name: string, env: Record<string, string>): Promise<string> {
  try {
    const { stdout } = await run('bash', [join(ROOT, 'scripts', name)], { env: { ...process.env, ...env }, maxBuffer: 1 << 20 })
    return stdout.trim().split('\n').at(-1) ?? ''
  } catch (e) {
    const err = e as { stderr?: string; message: string }
    throw new Error(`scripts/${name} failed: ${err.stderr?.slice(-2000) ?? err.message}`)
  }
}

let sandbox: Promise<string> | undefined
let probe: Promise<string> | undefined

/** The sandbox image ID, built from the working tree on the local base. */
export function sandboxImage(): Promise<string> {
  sandbox ??= script('make-base-image.sh', { SANDBOX_BASE_TAG: BASE_TAG }).then(() => script('build-sandbox-image.sh', { BASE_IMAGE: BASE_TAG }))
  return sandbox
}

/** The sandbox image plus /usr/local/bin/wopr-probe, static so it needs nothing from the image. */
export function probeImage(): Promise<string> {
  probe ??= (async () => {
    const base = await sandboxImage()
    const dir = mkdtempSync(join(tmpdir(), 'wopr-probe-'))
    try {
      writeFileSync(join(dir, 'probe.c'), PROBE_SOURCE)
      await run('gcc', ['-static', '-O1', '-o', join(dir, 'wopr-probe'), join(dir, 'probe.c')])
      await run('docker', ['tag', base, PROBE_BASE_TAG])
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${PROBE_BASE_TAG}\nCOPY wopr-probe /usr/local/bin/wopr-probe\n`)
      await run('docker', ['build', '--network', 'host', '-q', '--iidfile', join(dir, 'id'), '-t', PROBE_TAG, dir])
      return (await run('cat', [join(dir, 'id')])).stdout.trim()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })()
  return probe
}
