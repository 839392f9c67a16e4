// `wopr-p2p log`, `inject` and `invite …` (WIRE.md "Messages"): sends to a peer over the
// running sidecar's swarm. The peer's answer is printed; a refusal prints its reason and
// exits 1. Peer text has its control characters replaced before it reaches the terminal.

import { InvalidArgumentError, type Command } from 'commander'
import { printable, type SendOutcome } from '../sidecar/operations.ts'
import { askSidecar, PEER, render } from './control-client.ts'

export function registerSendCommands(program: Command, out: (text: string) => void): void {
  const answer = (r: SendOutcome) => (r.reply === 'ack' ? 'ack\n' : `${printable(r.text)}\n`)

  const verbs = [
    ['log', 'send a log message to a peer session; prints `ack` once the peer acknowledged it', 'the session on the peer (the one it files us under)'],
    ['inject', "send an inject to a peer session and print the peer agent's response", 'the session on the peer (the one it files us under, or one an invite granted)'],
  ] as const
  for (const [verb, description, sessionHelp] of verbs) {
    program
      .command(verb)
      .description(description)
      .argument('<peer>', PEER)
      .argument('<session>', sessionHelp)
      .argument('<text>', 'the message')
      .option('--json', 'print as JSON')
      .action(async (peer: string, session: string, text: string, opts: { json?: boolean }, cmd: Command) => {
        render(out, opts.json, await askSidecar(cmd, verb, { peer, session, text }), answer)
      })
  }

  const invite = program.command('invite').description('single-use invites granting `inject` on one session to one key')
  invite
    .command('create')
    .description('print an invite token for the holder of <their-pubkey> to claim')
    .argument('<their-pubkey>', 'their signing key (base64 SPKI, as `wopr-p2p id` shows it)')
    .requiredOption('--session <session>', 'the session the invite grants inject on (required)')
    .option('--hours <hours>', 'hours until the token expires', positiveHours, 24)
    .action(async (pubkey: string, opts: { session: string; hours: number }, cmd: Command) => {
      const r = (await askSidecar(cmd, 'invite.create', { pubkey, session: opts.session, ttlMs: Math.round(opts.hours * 3_600_000) })) as { token: string }
      out(`${r.token}\n`)
    })
  invite
    .command('claim')
    .description('claim an invite made for our key from its issuer over the swarm; once claimed it cannot be claimed again')
    .argument('<token>', 'the wop1:// token')
    .action(async (token: string, _opts: unknown, cmd: Command) => {
      const r = (await askSidecar(cmd, 'invite.claim', { token })) as { issuer: string; sessions: string[] }
      out(`claimed: inject on ${r.sessions.join(', ')} at ${r.issuer}\n`)
    })
}

function positiveHours(value: string): number {
  const hours = Number(value)
  if (!(hours > 0) || !Number.isFinite(hours)) throw new InvalidArgumentError('must be a positive number of hours')
  return hours
}
