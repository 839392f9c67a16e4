// `wopr-p2p sidecar` (the daemon role), `status` and `rotate-keys` (DESIGN.md "Processes",
// "Operator surface"). The role (sidecar/role.ts) runs until SIGTERM or SIGINT and then closes
// cleanly; its only handler is the sandbox, so without a pinned image every peer log and
// inject is refused (fail closed).

import { Option, type Command } from 'commander'
import { createLogger } from '../log/logger.ts'
import { resolvePolicyDir } from '../policy/load.ts'
import type { SidecarStatus } from '../sidecar/operations.ts'
import { ROTATION_REASONS } from '../wire/rotation.ts'
import { askSidecar, render } from './control-client.ts'
import { instanceOf, instanceOption, proxySocketOf, proxySocketOption, seccompOption } from './sandbox-flags.ts'
import { dataDirOf } from './identity-commands.ts'

export function registerSidecarCommands(program: Command, out: (text: string) => void): void {
  program
    .command('sidecar')
    .description('run the sidecar daemon: listen on this agent\'s topic, run admitted messages in sandboxes through the Docker proxy, forward results to WOPR, rotate keys on schedule; stops on SIGTERM or SIGINT')
    .option('--name <name>', 'this agent\'s name in friend request/accept lines (default: $WOPR_P2P_NAME)')
    .option('--policy-dir <dir>', 'policy directory (default: $WOPR_P2P_POLICY_DIR or the shipped policies/)')
    .addOption(proxySocketOption('the narrowed Docker proxy\'s socket'))
    .addOption(seccompOption())
    .addOption(instanceOption())
    .action(async (opts: { name?: string; policyDir?: string; dockerProxy?: string; seccomp: string; instance?: string }, cmd: Command) => {
      const log = createLogger({ role: 'sidecar' })
      const name = opts.name || process.env.WOPR_P2P_NAME || undefined
      // Loaded here, not at the top: the other verbs only talk to the control socket.
      const { startSidecarRole } = await import('../sidecar/role.ts')
      const role = await startSidecarRole({
        dataDir: dataDirOf(cmd),
        policyDir: resolvePolicyDir({ flag: opts.policyDir }),
        dockerSocket: proxySocketOf(opts.dockerProxy),
        seccompFile: opts.seccomp,
        instance: instanceOf(opts.instance),
        log,
        ...(name ? { name } : {}),
      })
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', resolve)
        process.once('SIGINT', resolve)
      })
      log.info({ signal }, 'sidecar-stopping')
      await role.stop()
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
    .addOption(new Option('--reason <reason>', 'why the keys change (required)').choices(ROTATION_REASONS).makeOptionMandatory())
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
    `sandbox:     ${describeSandbox(s)}`,
    `wopr:        ${describeWopr(s.outbox)}`,
    `rotation:    ${describeSchedule(s.rotationSchedule)}`,
    'topics:',
    ...s.topics.map((t) => `  ${t.topic} (${t.shortId}) ${t.current ? 'current' : `previous, until ${new Date(t.graceUntil ?? 0).toISOString()}`}${t.announced ? '' : ' — NOT announced yet: no DHT node reachable, retrying'}`),
    `connections: ${s.connections.inbound} inbound${s.connections.peers.length ? `; peers: ${s.connections.peers.map((p) => (p.name ? `${p.name} (${p.shortId})` : p.shortId)).join(', ')}` : ''}`,
    `peers:       ${s.friends} friends, ${s.grantees} with grants`,
    'counters:',
    ...Object.entries(s.counters).map(([k, v]) => `  ${k} ${v}`),
  ]
  if (s.pendingNotices.length) lines.push('rotation notices pending:', ...s.pendingNotices.map((p) => `  ${p.peer} (old key ${p.oldShortId}, until ${new Date(p.graceUntil).toISOString()})`))
  return `${lines.join('\n')}\n`
}

function describeSandbox(s: SidecarStatus): string {
  if (s.handler === 'none') return 'none: peer log and inject are refused (fail closed)'
  const box = s.sandbox
  if (box === null) return 'configured'
  if (box.state === 'unavailable') return `unavailable (${box.reason}): ${box.detail}; peer log and inject are refused`
  return `ready, image ${box.image.slice(0, 19)}…, model ${box.model ? 'configured' : 'none (inject refused)'}, ${box.running} running, ${box.queued} queued, ${box.pool.ready}/${box.pool.target} warm`
}

function describeWopr(o: SidecarStatus['outbox']): string {
  if (o === null) return 'not configured'
  const state = o.reachable === null ? 'not tried yet' : o.reachable ? 'reachable' : `unreachable${o.lastError ? ` (${o.lastError.reason})` : ''}`
  return `${state}; outbox ${o.pending} waiting${o.full ? ' (FULL)' : ''}, ${o.delivered} delivered, ${o.rejected} rejected`
}

function describeSchedule(r: SidecarStatus['rotationSchedule']): string {
  if (r === null) return 'no schedule'
  if (!r.enabled) return 'scheduled rotation off'
  const last = r.lastRun ? `; last ${r.lastRun.slot} ${r.lastRun.result}${r.lastRun.reason ? ` (${r.lastRun.reason})` : ''}` : ''
  return `"${r.schedule}", next ${r.nextRun ?? 'none'}${last}`
}
