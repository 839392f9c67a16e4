// `wopr-p2p friend …`, `grant`, `revoke` and `auto-accept …` (SECURITY.md "Friend Protocol
// Security", "Access Control", "Auto-Accept Rules"): every change goes through the running
// sidecar, so admission sees it on the very next message.

import { Argument, type Command } from 'commander'
import { CAPABILITIES } from '../friends/model.ts'
import type { FriendMade, FriendView } from '../sidecar/operations.ts'
import { askSidecar, PEER, render } from './control-client.ts'

export function registerFriendCommands(program: Command, out: (text: string) => void): void {
  const friend = program.command('friend').description('make, list and remove friends through FRIEND_REQUEST / FRIEND_ACCEPT lines')

  friend
    .command('request')
    .description('print a FRIEND_REQUEST line to post where <their-name> reads it; valid for 5 minutes')
    .argument('<their-name>', 'the name the other agent goes by (the `to` of the line)')
    .action(async (theirName: string, _opts: unknown, cmd: Command) => {
      const r = (await askSidecar(cmd, 'friend.request', { name: theirName })) as { line: string }
      out(`${r.line}\n`)
    })

  friend
    .command('accept')
    .description('verify a FRIEND_REQUEST line addressed to us, record its sender as a friend with `message` only, and print the FRIEND_ACCEPT line to post back')
    .argument('<line>', 'the FRIEND_REQUEST line, quoted')
    .option('--auto', 'accept only if an auto-accept rule (stored or in policy) names the requester')
    .option('--json', 'print as JSON')
    .action(async (line: string, opts: { auto?: boolean; json?: boolean }, cmd: Command) => {
      const r = await askSidecar(cmd, 'friend.accept', { line, auto: opts.auto === true })
      render(out, opts.json, r, (m: FriendMade & { line: string }) => `${m.line}\n${describeMade(m)}`)
    })

  friend
    .command('complete')
    .description('honour a FRIEND_ACCEPT line that answers our own pending request; shows who accepted, to confirm out of band')
    .argument('<line>', 'the FRIEND_ACCEPT line, quoted')
    .option('--json', 'print as JSON')
    .action(async (line: string, opts: { json?: boolean }, cmd: Command) => {
      render(out, opts.json, await askSidecar(cmd, 'friend.complete', { line }), describeMade)
    })

  friend
    .command('list')
    .description('list friends and grantees with their short ids, fingerprints and grants')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      render(out, opts.json, await askSidecar(cmd, 'friend.list'), (list: FriendView[]) =>
        list.length === 0
          ? 'no friends yet\n'
          : list
              .map((f) => `${f.name ?? '(no name)'} ${f.shortId} ${f.fingerprint}\n${Object.entries(f.grants).map(([s, caps]) => `  ${s}: ${caps.join(', ')}\n`).join('') || '  no grants\n'}`)
              .join(''),
      )
    })

  friend
    .command('remove')
    .description('remove a friend and every grant it held, at once')
    .argument('<peer>', PEER)
    .action(async (peer: string, _opts: unknown, cmd: Command) => {
      const r = (await askSidecar(cmd, 'friend.remove', { peer })) as { removed: string }
      out(`removed ${r.removed}\n`)
    })

  program
    .command('grant')
    .description("grant a capability on a friend's own session (or --session); `inject` runs the friend's text as an agent turn in the sandbox")
    .argument('<peer>', PEER)
    .addArgument(new Argument('<capability>', 'message | inject').choices(CAPABILITIES))
    .option('--session <session>', "the session (default: the friend's own)")
    .action(async (peer: string, cap: string, opts: { session?: string }, cmd: Command) => {
      const r = (await askSidecar(cmd, 'grant', { peer, cap, ...(opts.session ? { session: opts.session } : {}) })) as { peer: string; session: string; grants: string[] }
      out(`${r.peer} on ${r.session}: ${r.grants.join(', ')}\n`)
    })

  program
    .command('revoke')
    .description('revoke one capability, or all of them, on every session; takes effect on the next message, also on open connections')
    .argument('<peer>', PEER)
    .addArgument(new Argument('[capability]', 'message | inject (default: everything; revoking message also revokes inject)').choices(CAPABILITIES))
    .action(async (peer: string, cap: string | undefined, _opts: unknown, cmd: Command) => {
      const r = (await askSidecar(cmd, 'revoke', { peer, ...(cap ? { cap } : {}) })) as { peer: string; grants: Record<string, string[]> }
      const left = Object.entries(r.grants).map(([s, caps]) => `${s}: ${caps.join(', ')}`)
      out(`${r.peer}: ${left.length ? left.join('; ') : 'no grants left'}\n`)
    })

  const auto = program.command('auto-accept').description('rules naming requesters whose FRIEND_REQUEST `friend accept --auto` accepts (still `message` only)')
  const rules = (r: { rules: string[] }) => (r.rules.length ? `${r.rules.join('\n')}\n` : 'no stored rules\n')
  const edits = [
    ['add', 'store a rule: an exact name, *, or names joined by |', 'the rule'],
    ['remove', 'remove a stored rule (rules from policy files stay)', 'the rule, exactly as listed'],
  ] as const
  for (const [verb, description, patternHelp] of edits) {
    auto
      .command(verb)
      .description(description)
      .argument('<pattern>', patternHelp)
      .action(async (pattern: string, _opts: unknown, cmd: Command) => {
        out(rules((await askSidecar(cmd, `auto-accept.${verb}`, { rule: pattern })) as { rules: string[] }))
      })
  }
  auto
    .command('list')
    .description('list stored rules and those from policy; both apply')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      render(out, opts.json, await askSidecar(cmd, 'auto-accept.list'), (r: { stored: string[]; policy: string[] }) =>
        [...r.stored.map((x) => `${x}\t(stored)`), ...r.policy.map((x) => `${x}\t(policy)`), ''].join('\n') || 'no rules\n',
      )
    })
}

function describeMade(m: FriendMade): string {
  return `friend: ${m.name}\nshort id: ${m.shortId}\nfingerprint: ${m.fingerprint}\nsession: ${m.session}\n`
}
