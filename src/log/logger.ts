// Structured logs (DESIGN.md "Operator surface"): one JSON object per line on stderr, with
// a level, a time, the role and an event name. Callers pass facts (reason codes, short ids,
// counts, sizes), never secrets or peer plaintext; the redact list is a second net for the
// field names that could carry them if a caller slips.

import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger } from 'pino'

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Field names whose values are never written, wherever they sit in a log object. */
const REDACTED = ['text', 'payload', 'plaintext', 'token', 'apiKey', 'secret', 'privateKey', 'signPriv', 'encryptPriv', 'authorization']

function redactPaths(): string[] {
  return REDACTED.flatMap((k) => [k, `*.${k}`])
}

export interface LoggerOptions {
  role: string
  /** Default: $WOPR_P2P_LOG_LEVEL or info. */
  level?: string
  /** Default: stderr (stdout stays for command output). */
  destination?: NodeJS.WritableStream
}

export function createLogger({ role, level = process.env.WOPR_P2P_LOG_LEVEL ?? 'info', destination = process.stderr }: LoggerOptions): Logger {
  const chosen = (LOG_LEVELS as readonly string[]).includes(level) ? level : 'info'
  return pino(
    {
      level: chosen,
      base: { role },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: '[redacted]' },
      messageKey: 'event',
    },
    destination as pino.DestinationStream,
  )
}

/** For tests and one-shot commands that must stay quiet. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
