// `wopr-p2p wopr-relay` (DESIGN.md "Processes"): the relay role as a long-running process. It
// runs in WOPR's network namespace (`network_mode: service:wopr`), listens on a unix socket in a
// volume shared with the sidecar and forwards the WOPR client's requests to WOPR's TCP port.
// The gate itself is src/wopr/relay.ts; this file is flags, structured logs and shutdown.

import { InvalidArgumentError, Option, type Command } from 'commander'
import { once } from 'node:events'
import { createLogger, type Logger } from '../log/logger.ts'
import { startWoprRelay, type RelayAuditLine } from '../wopr/relay.ts'

/** WOPR-API.md: WOPR_DAEMON_HOST defaults to 127.0.0.1, WOPR_DAEMON_PORT to 7437. */
export const DEFAULT_WOPR_TARGET = 'http://127.0.0.1:7437'
/** The policy's default `wopr.endpoint`, so relay and sidecar agree with no configuration. */
export const DEFAULT_RELAY_SOCKET = '/run/wopr/wopr.sock'

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const

/** `http://host:port` and nothing more: the relay adds the path itself, and WOPR speaks no TLS. */
export function parseWoprTarget(value: string): { host: string; port: number } {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidArgumentError('must be a URL like http://127.0.0.1:7437')
  }
  if (url.protocol !== 'http:') throw new InvalidArgumentError('must use http: (WOPR\'s daemon speaks plain HTTP on its own loopback)')
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    throw new InvalidArgumentError('must be only http://host:port, without credentials, path or query')
  }
  // URL drops a scheme-default port, so an absent or explicit :80 both mean 80.
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? 80 : Number(url.port) }
}

function parseSocketMode(value: string): 0o600 | 0o660 {
  if (value === '600') return 0o600
  if (value === '660') return 0o660
  throw new InvalidArgumentError('must be 600 (sidecar and relay share a uid) or 660 (they share a group)')
}

/** The relay's audit line as a log record: pino adds time and role, the verdict sets the level. */
function logAudit(log: Logger, { verdict, status, reason, method, path }: RelayAuditLine): void {
  const fields = { verdict, status, ...(reason && { reason }), ...(method && { method }), ...(path && { path }) }
  if (verdict === 'allow') log.info(fields, 'relay.request')
  else if (verdict === 'refuse') log.warn(fields, 'relay.request')
  else log.error(fields, 'relay.request')
}

function firstStopSignal(): Promise<NodeJS.Signals> {
  return Promise.race(STOP_SIGNALS.map((s) => once(process, s).then(() => s)))
}

export function registerWoprRelayCommands(program: Command): void {
  program
    .command('wopr-relay')
    .description('forward the sidecar\'s WOPR requests from a unix socket to WOPR\'s TCP port; run it in WOPR\'s network namespace')
    .option('--listen <socket>', 'unix socket to listen on (shared with the sidecar as its wopr.endpoint)', DEFAULT_RELAY_SOCKET)
    .addOption(new Option('--target <url>', 'WOPR\'s daemon as seen from its own namespace').argParser(parseWoprTarget).default(parseWoprTarget(DEFAULT_WOPR_TARGET), DEFAULT_WOPR_TARGET))
    .addOption(new Option('--socket-mode <mode>', 'permissions of the socket: 600 or 660').argParser(parseSocketMode).default(0o600 as const, '600'))
    .option('--token-file <file>', 'WOPR\'s daemon-token: the relay adds it to each request, so the sidecar needs neither the token nor WOPR\'s data (default: pass the sidecar\'s Authorization through)')
    .action(async (opts: { listen: string; target: { host: string; port: number }; socketMode: 0o600 | 0o660; tokenFile?: string }) => {
      const log = createLogger({ role: 'wopr-relay' })
      // Listen for the stop signals before the socket exists: a SIGTERM in between must not kill us uncleanly.
      const stopped = firstStopSignal()
      const relay = await startWoprRelay({
        listenPath: opts.listen,
        upstream: opts.target,
        socketMode: opts.socketMode,
        ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}),
        audit: (line) => logAudit(log, line),
      })
      log.info({ listen: opts.listen, target: `${opts.target.host}:${opts.target.port}` }, 'relay.listening')
      const signal = await stopped
      log.info({ signal }, 'relay.stopping')
      await relay.close()
      log.info('relay.stopped')
    })
}
