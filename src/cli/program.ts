// The `wopr-p2p` command line (DESIGN.md "Operator surface"): parses argv with
// commander and maps each verb to one operation. Errors print one line with
// what went wrong and, where there is one, what to do next; exit code 1 for
// refusals and failures, 2 for usage errors.

import { Command, CommanderError } from 'commander'
import { WoprP2PError } from '../reasons.ts'
import { registerIdentityCommands } from './identity-commands.ts'
import { registerPolicyCommands } from './policy-commands.ts'
import { registerFriendCommands } from './friend-commands.ts'
import { registerSendCommands } from './send-commands.ts'
import { registerSidecarCommands } from './sidecar-commands.ts'
import { registerDockerProxyCommands } from './docker-proxy-commands.ts'
import { registerSandboxCommands } from './sandbox-commands.ts'
import { registerWoprRelayCommands } from './wopr-relay-commands.ts'

export function buildProgram(out: (text: string) => void): Command {
  const program = new Command()
    .name('wopr-p2p')
    .description('WOPR P2P sidecar: befriend and talk to other agents over Hyperswarm; peers never touch the host.')
    .option('--data-dir <dir>', 'state directory (default: $WOPR_P2P_DATA_DIR or ~/.wopr/p2p)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: (s) => process.stderr.write(s) })
  registerIdentityCommands(program, out)
  registerPolicyCommands(program, out)
  registerSidecarCommands(program, out)
  registerFriendCommands(program, out)
  registerSendCommands(program, out)
  registerDockerProxyCommands(program)
  registerSandboxCommands(program, out)
  registerWoprRelayCommands(program)
  return program
}

export async function runCli(argv: string[], out: (text: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const program = buildProgram(out)
  try {
    await program.parseAsync(argv)
    return 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
    if (err instanceof WoprP2PError) {
      process.stderr.write(`wopr-p2p: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`)
      return err.code === 'USAGE' ? 2 : 1
    }
    throw err
  }
}
