// `wopr-p2p policy check` and `wopr-p2p policy show` (DESIGN.md "Configuration", "Operator
// surface"): validate policy files without running anything, and print the policy a sidecar
// started now would run with. Problems print one per line as FILE:LINE:COLUMN key: why.

import type { Command } from 'commander'
import { statSync } from 'node:fs'
import { stringify } from 'yaml'
import { listPolicyFiles, loadPolicyDir, loadPolicyFiles, policyError, resolvePolicyDir } from '../policy/load.ts'

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    // Not there or not statable: treated as a file, whose read reports the problem.
    return false
  }
}

export function registerPolicyCommands(program: Command, out: (text: string) => void): void {
  const policy = program.command('policy').description('validate policy files and show the effective policy')

  policy
    .command('check')
    .description('validate policy files without running anything; prints "ok", or one line per problem (file:line:column key: why)')
    .argument('<file...>', 'policy files, or directories of *.yaml files; all are checked together, as the sidecar loads them')
    .action((files: string[]) => {
      const loaded = loadPolicyFiles(files.flatMap((f) => (isDirectory(f) ? listPolicyFiles(f) : [f])))
      if (!loaded.ok) throw policyError(loaded.problems, 'fix each line above, then run wopr-p2p policy check again')
      out('ok\n')
    })

  policy
    .command('show')
    .description('print the effective policy: the policy files merged over the built-in defaults')
    .option('--policy-dir <dir>', 'policy directory (default: $WOPR_P2P_POLICY_DIR or the shipped policies/)')
    .option('--json', 'print as JSON instead of YAML')
    .action((opts: { policyDir?: string; json?: boolean }) => {
      const dir = resolvePolicyDir({ flag: opts.policyDir })
      const loaded = loadPolicyDir(dir)
      if (!loaded.ok) throw policyError(loaded.problems, `fix each line above; wopr-p2p policy check ${dir} shows the same`)
      if (opts.json) return out(`${JSON.stringify(loaded.policy, null, 2)}\n`)
      const from = loaded.files.length > 0 ? `files: ${loaded.files.join(', ')}` : 'no policy files: built-in defaults only'
      out(`# effective policy from ${dir} (${from}; anything not set there is a default)\n${stringify(loaded.policy)}`)
    })
}
