// The control socket's operations (src/control/socket.ts): each op name maps to one
// Operations method, with its arguments checked here — the CLI is a client like any other,
// so nothing it sends is trusted to have the right shape.

import type { ControlHandler } from '../control/socket.ts'
import { CAPABILITIES, type Capability } from '../friends/model.ts'
import { WoprP2PError } from '../reasons.ts'
import { isRotationReason, ROTATION_REASONS } from '../wire/rotation.ts'
import type { Operations } from './operations.ts'

type Args = Record<string, unknown>

export function controlOps(ops: Operations): Record<string, ControlHandler> {
  return {
    status: () => ops.status(),
    'friend.request': (a) => ops.friendRequest(text(a, 'name')),
    'friend.accept': (a) => ops.friendAccept(text(a, 'line'), a.auto === true),
    'friend.complete': (a) => ops.friendComplete(text(a, 'line')),
    'friend.list': () => ops.friendList(),
    'friend.remove': (a) => ops.friendRemove(text(a, 'peer')),
    grant: (a) => ops.grant(text(a, 'peer'), capability(a.cap), optionalText(a, 'session')),
    revoke: (a) => ops.revoke(text(a, 'peer'), a.cap === undefined ? undefined : capability(a.cap)),
    'auto-accept.add': (a) => ops.autoAcceptAdd(text(a, 'rule')),
    'auto-accept.remove': (a) => ops.autoAcceptRemove(text(a, 'rule')),
    'auto-accept.list': () => ops.autoAcceptList(),
    'invite.create': (a) => ops.inviteCreate(text(a, 'pubkey'), text(a, 'session'), a.ttlMs === undefined ? undefined : positive(a.ttlMs, 'ttlMs')),
    'invite.claim': (a) => ops.inviteClaim(text(a, 'token')),
    log: (a) => ops.log(text(a, 'peer'), text(a, 'session'), text(a, 'text')),
    inject: (a) => ops.inject(text(a, 'peer'), text(a, 'session'), text(a, 'text')),
    'rotate-keys': (a) => {
      if (!isRotationReason(a.reason)) throw usage(`reason must be one of ${ROTATION_REASONS.join(', ')}`)
      return ops.rotateKeys(a.reason)
    },
  }
}

function text(a: Args, key: string): string {
  const v = a[key]
  if (typeof v !== 'string' || v === '') throw usage(`${key} must be a non-empty string`)
  return v
}

function optionalText(a: Args, key: string): string | undefined {
  return a[key] === undefined ? undefined : text(a, key)
}

function capability(v: unknown): Capability {
  if (!(CAPABILITIES as readonly unknown[]).includes(v)) throw usage(`capability must be one of ${CAPABILITIES.join(', ')}`)
  return v as Capability
}

function positive(v: unknown, key: string): number {
  if (!Number.isSafeInteger(v) || (v as number) <= 0) throw usage(`${key} must be a positive whole number`)
  return v as number
}

function usage(message: string): WoprP2PError {
  return new WoprP2PError('USAGE', message)
}
