// `wopr-p2p docker-proxy` (DESIGN.md "Processes"): the only process holding the
// engine socket. Flags and signals here; the role itself is docker-proxy/role.ts.
// SIGHUP re-reads the policy; SIGTERM or SIGINT stops it and exits 0.

import type { Command } from 'commander'
import { createWriteStream, openSync, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import { jsonLinesAudit } from '../docker-proxy/audit.ts'
import { startDockerProxyRole, type DockerProxyRole } from '../docker-proxy/role.ts'
import { createLogger } from '../log/logger.ts'
import { resolvePolicyDir } from '../policy/load.ts'
import { WoprP2PError } from '../reasons.ts'
import { DEFAULT_ENGINE_SOCKET } from './sandbox-commands.ts'
import { DEFAULT_PROXY_SOCKET, instanceOf, instanceOption, proxySocketOf, seccompOption } from './sandbox-flags.ts'

type ProxyOptions = { listen?: string; engine: string; policyDir?: string; seccomp: string; audit?: string; instance?: string; socketGroup?: string }

function usage(message: string, hint: string): WoprP2PError {
  return new WoprP2PError('USAGE', message, hint)
}

function parseGroup(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^[0-9]{1,10}$/.test(value)) throw usage(`--socket-group ${value.slice(0, 40)} is not a numeric group ID`, 'pass the gid shared with the sidecar, e.g. --socket-group 1000')
  return Number(value)
}

/** Appended to, never truncated: the trail of an earlier run stays. Opened before start-up, so a bad path fails early. */
function openAuditFile(path: string): WriteStream {
  try {
    return createWriteStream('', { fd: openSync(path, 'a', 0o600) })
  } catch (err) {
    throw new WoprP2PError('IO', `cannot open audit file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'choose a writable path for --audit')
  }
}

export function registerDockerProxyCommands(program: Command): void {
  program
    .command('docker-proxy')
    .description('run the narrowed Docker proxy: validates every request and re-issues only sandbox calls to the engine')
    .option('--listen <socket>', `socket the sidecar connects to (default: $WOPR_P2P_DOCKER_PROXY_SOCKET or ${DEFAULT_PROXY_SOCKET})`)
    .option('--engine <socket>', 'the real Docker engine socket', DEFAULT_ENGINE_SOCKET)
    .option('--policy-dir <dir>', 'policy directory (default: $WOPR_P2P_POLICY_DIR or the shipped policies/)')
    .addOption(seccompOption())
    .option('--audit <file>', 'append the audit trail (JSON lines) to this file, mode 0600 (default: stdout)')
    .addOption(instanceOption())
    .option('--socket-group <gid>', 'make the socket 0660 and owned by this group, for a sidecar under another uid (default: 0600, owner only)')
    .action(async (opts: ProxyOptions) => {
      const instance = instanceOf(opts.instance)
      const socketGroup = parseGroup(opts.socketGroup)
      const log = createLogger({ role: 'docker-proxy' })
      const auditFile = opts.audit === undefined ? undefined : openAuditFile(opts.audit)

      // Signals are ours before start-up begins: a SIGTERM or SIGHUP while the role starts must not kill it half-way.
      let role: DockerProxyRole | undefined
      let hangupWhileStarting = false
      const onHangup = () => (role ? void role.reload() : (hangupWhileStarting = true))
      let onStop: (signal: NodeJS.Signals) => void = () => undefined
      const stopSignal = new Promise<NodeJS.Signals>((resolve) => (onStop = resolve))
      process.on('SIGHUP', onHangup)
      process.once('SIGTERM', onStop)
      process.once('SIGINT', onStop)
      try {
        role = await startDockerProxyRole({
          listenPath: proxySocketOf(opts.listen),
          enginePath: opts.engine,
          policyDir: resolvePolicyDir({ flag: opts.policyDir }),
          seccompFile: opts.seccomp,
          instance,
          socketGroup,
          audit: jsonLinesAudit(auditFile ?? process.stdout),
          log,
        })
        if (hangupWhileStarting) void role.reload()
        log.info({ signal: await stopSignal }, 'stopping')
        await role.stop()
      } finally {
        process.off('SIGHUP', onHangup)
        process.off('SIGTERM', onStop)
        process.off('SIGINT', onStop)
        auditFile?.end()
      }
    })
}
