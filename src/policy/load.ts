// Reading policy files from disk (DESIGN.md "Configuration"); validation itself is validate.ts.
// The policy directory holds any number of *.yaml / *.yml files, each defining whole sections.
// Missing means default: no directory, no file for a section, or no key in a section all give
// the built-in defaults (policies/ ships them, commented). A file that exists but cannot be
// read is an error, never skipped: skipping would silently loosen what the operator tightened.

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WoprP2PError } from '../reasons.ts'
import type { Policy } from './schema.ts'
import { formatProblem, MAX_POLICY_BYTES, validatePolicy, type PolicyProblem, type PolicySource } from './validate.ts'

/** The commented defaults shipped with the package (and the image). */
export const SHIPPED_POLICY_DIR = fileURLToPath(new URL('../../policies/', import.meta.url))

export type PolicyLoad = { ok: true; policy: Policy; files: string[] } | { ok: false; problems: PolicyProblem[] }

/** `--policy-dir` flag, else WOPR_P2P_POLICY_DIR, else the shipped defaults; always absolute. Empty values count as unset. */
export function resolvePolicyDir({ flag, env = process.env }: { flag?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return resolve(flag || env.WOPR_P2P_POLICY_DIR || SHIPPED_POLICY_DIR)
}

/** Is this directory entry a policy file? Dotfiles are editor swap and lock files (`.#sandbox.yaml`). */
export function isPolicyFileName(name: string): boolean {
  return /\.ya?ml$/.test(name) && !name.startsWith('.')
}

/** The policy files in `dir`, sorted; a missing directory has none. */
export function listPolicyFiles(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new WoprP2PError('IO', `cannot list policy directory ${dir}: ${(err as Error).message}`, 'check that the directory is readable by this user')
  }
  return names.filter(isPolicyFileName).sort().map((name) => join(dir, name))
}

export function loadPolicyDir(dir: string): PolicyLoad {
  return loadPolicyFiles(listPolicyFiles(dir))
}

/** Load exactly these files as one policy (`policy check` names them; a missing one is an error here). */
export function loadPolicyFiles(paths: readonly string[]): PolicyLoad {
  const sources: PolicySource[] = []
  const problems: PolicyProblem[] = []
  for (const file of paths) {
    const r = readSource(file)
    if ('problem' in r) problems.push(r.problem)
    else sources.push(r)
  }
  const verdict = validatePolicy(sources)
  if (!verdict.ok || problems.length > 0) return { ok: false, problems: [...problems, ...(verdict.ok ? [] : verdict.problems)] }
  return { ok: true, policy: verdict.policy, files: [...paths] }
}

function readSource(file: string): PolicySource | { problem: PolicyProblem } {
  const problem = (reason: PolicyProblem['reason'], message: string) => ({ problem: { reason, file, line: 1, col: 1, path: '', message } })
  try {
    const st = statSync(file)
    if (!st.isFile()) return problem('POLICY_UNREADABLE', 'is not a regular file')
    // Checked before reading, so a huge file costs one stat.
    if (st.size > MAX_POLICY_BYTES) return problem('POLICY_RESOURCE_LIMIT', `file is ${st.size} bytes; a policy file is at most ${MAX_POLICY_BYTES}`)
    return { file, bytes: readFileSync(file) }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    return problem('POLICY_UNREADABLE', e.code === 'ENOENT' ? 'no such file' : `cannot be read: ${e.code ?? e.message}`)
  }
}

/** The one error a refused policy turns into when there is no better channel (start-up, CLI). */
export function policyError(problems: readonly PolicyProblem[], hint: string): WoprP2PError {
  const lines = problems.map(formatProblem)
  return new WoprP2PError(problems[0]?.reason ?? 'POLICY_SYNTAX', `policy refused (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, hint)
}
