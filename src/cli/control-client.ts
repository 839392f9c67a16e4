// How a CLI verb reaches the running sidecar: one request on <data dir>/control.sock.
// When no sidecar is running, callControl's error says to start one.

import type { Command } from 'commander'
import { join } from 'node:path'
import { callControl } from '../control/socket.ts'
import { CONTROL_SOCKET } from '../sidecar/files.ts'
import { dataDirOf } from './identity-commands.ts'

/** How `<peer>` is described in every verb that takes one. */
export const PEER = 'a friend name, a short id (6–8 hex), or a full signing key'

export function askSidecar(cmd: Command, op: string, args: Record<string, unknown> = {}): Promise<unknown> {
  return callControl(join(dataDirOf(cmd), CONTROL_SOCKET), op, args)
}

/** --json prints the result as is; otherwise `human` renders it. */
export function render(out: (text: string) => void, json: boolean | undefined, result: unknown, human: (r: never) => string): void {
  out(json ? `${JSON.stringify(result, null, 2)}\n` : human(result as never))
}
