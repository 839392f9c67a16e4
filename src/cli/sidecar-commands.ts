// `wopr-p2p sidecar` (the daemon role), `status` and `rotate-keys` (DESIGN.md "Processes",
// "Operator surface"). The role runs until SIGTERM or SIGINT and then closes cleanly; the
// production role has no handler until the sandbox is plugged in, so it refuses every peer
// log and inject (fail closed).

import { Option, type Command } from 'commander'
import { createLogger } from '../log/logger.ts'
import { resolvePolicyDir } from '../policy/load.ts'
import { PolicyWatcher } from '../policy/watch.ts'
import type { SidecarStatus } from '../sidecar/operations.ts'
import { ROTATION_REASONS } from '../wire/rotation.ts'
import { askSidecar, render } from './control-client.ts'
import { dataDirOf } from './identity-commands.ts'

export function registerSidecarCommands(program: Command, out: (text: string) => void): void {
  program
    .command('sidecar')
    .description('run the sidecar daemon: listen on this agent\'s topic, serve the control socket; stops on SIGTERM or SIGINT')
    .option('--name <name>', 'this agent\'s name in friend request/accept lines (default: $WOPR_P2P_NAME)')
    .option('--policy-dir <dir>', 'policy directory (default: $WOPR_P2P_POLICY_DIR or the shipped policies/)')
    .action(async (opts: { name?: string; policyDir?: string }, cmd: Command) => {
      const log = createLogger({ role: 'sidecar' })
      const watcher = new PolicyWatcher({ dir: resolvePolicyDir({ flag: opts.policyDir }) })
      const name = opts.name || process.env.WOPR_P2P_NAME || undefined
      // Loaded here, not at the top: the other verbs only talk to the control socket.
      const { startSidecar } = await import('../sidecar/sidecar.ts')
      try {
        const sidecar = await startSidecar({ dataDir: dataDirOf(cmd), policy: watcher.current, log, ...(name ? { name } : {}) })
        watcher.subscribe((event) => {
          if (event.type === 'applied') sidecar.applyPolicy(event.policy)
          else if (event.type === 'rejected') log.warn({ trigger: event.trigger, problems: event.problems.length }, 'policy-reload-rejected')
        })
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGTERM', resolve)
          process.once('SIGINT', resolve)
        })
        log.info({ signal }, 'sidecar-stopping')
        await sidecar.close()
      } finally {
        watcher.close()
      }
    })

  program
    .command('status')
    .description('show the running sidecar: identity, listening topics (grace ones with their end), connections, message counters by reason, handler, pending rotation notices, WOPR outbox')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      render(out, opts.json, await askSidecar(cmd, 'status'), describeStatus)
    })

  program
    .command('rotate-keys')
    .description('make new keys; tell every friend and grantee with a notice signed by the old key; the old key keeps working for the policy grace period')
    .addOption(new Option('--reason <reason>', 'why the keys change').choices(ROTATION_REASONS).makeOptionMandatory())
    .option('--json', 'print as JSON')
    .action(async (opts: { reason: string; json?: boolean }, cmd: Command) => {
      const r = await askSidecar(cmd, 'rotate-keys', { reason: opts.reason })
      render(out, opts.json, r, (x: { oldShortId: string; shortId: string; fingerprint: string; graceUntil: number; notified: number; pending: string[] }) =>
        [
          `rotated ${x.oldShortId} → ${x.shortId}`,
          `fingerprint: ${x.fingerprint}`,
          `old key accepted until ${new Date(x.graceUntil).toISOString()}`,
          `peers told: ${x.notified}; retried in the background: ${x.pending.length ? x.pending.join(', ') : 'none'}`,
          '',
        ].join('\n'),
      )
    })
}

function describeStatus(s: SidecarStatus): string {
  const lines = [
    `name:        ${s.name ?? '(none: friend lines need --name)'}`,
    `short id:    ${s.shortId}`,
    `fingerprint: ${s.fingerprint}`,
    `handler:     ${s.handler === 'sandbox' ? 'sandbox' : 'none: peer log and inject are refused (fail closed)'}`,
    'topics:',
    ...s.topics.map((t) => `  ${t.topic} (${t.shortId}) ${t.current ? 'current' : `previous, until ${new Date(t.graceUntil ?? 0).toISOString()}`}`),
    `connections: ${s.connections.inbound} inbound`,
    `peers:       ${s.friends} friends, ${s.grantees} with grants`,
    'counters:',
    ...Object.entries(s.counters).map(([k, v]) => `  ${k} ${v}`),
  ]
  if (s.pendingNotices.length) lines.push('rotation notices pending:', ...s.pendingNotices.map((p) => `  ${p.peer} (old key ${p.oldShortId}, until ${new Date(p.graceUntil).toISOString()})`))
  if (s.outbox) lines.push(`wopr outbox: ${s.outbox.pending} pending, ${s.outbox.delivered} delivered, reachable ${s.outbox.reachable ?? 'unknown'}`)
  return `${lines.join('\n')}\n`
}
