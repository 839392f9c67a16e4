// Every message type of WIRE.md "Messages" and the strict parser for one line
// ("Where the sidecar is stricter"): exact field sets, strictly typed values, no
// prototype-shaped keys. Signatures, freshness and sizes are later admission stages.

import { isCanonicalBase64, isPublicKeyText } from '../crypto/der.ts'
import { accept, refuse, type Refusal, type Verdict } from '../reasons.ts'
import { MAX_INVITE_TOKEN_CHARS } from './invite.ts'
import { isRotationReason as isReason, type KeyRotation, type RotationReason } from './rotation.ts'

export type WireVersion = 1 | 2

type Stamped = { readonly nonce: string; readonly ts: number; readonly sig: string }
/** v2 log/inject carry the sender's per-message ephemeral key; v1 (static keys) never does. */
type Sealed = { readonly v: 2; readonly ephemeralPub: string } | { readonly v: 1; readonly ephemeralPub?: undefined }

export type Hello = Readonly<{ v: 2; type: 'hello'; from: string; versions: readonly number[]; ephemeralPub: string }> & Stamped
export type HelloAck = Readonly<{ v: 2; type: 'hello-ack'; from: string; version: number; ephemeralPub: string }> & Stamped
export type Log = Readonly<{ type: 'log'; from: string; encryptPub: string; session: string; payload: string }> & Sealed & Stamped
export type Inject = Readonly<{ type: 'inject'; from: string; encryptPub: string; session: string; payload: string; requestId: string }> &
  Sealed &
  Stamped
export type Claim = Readonly<{ v: WireVersion; type: 'claim'; from: string; encryptPub: string; token: string }> & Stamped
/** The inner rotation notice, signed by `oldSignPub` (its own `sig`); its semantics live in rotation.ts. */
export type { KeyRotation, RotationReason }
/** Not signed itself: WIRE.md says its `sig` is a copy of keyRotation.sig (checked at admission). */
export type KeyRotationMessage = Readonly<{ v: WireVersion; type: 'key-rotation'; from: string; keyRotation: Readonly<KeyRotation> }> & Stamped
export type Ack = Readonly<{ v: 2; type: 'ack'; from: string; session?: string; encryptPub?: string }> & Stamped
export type ResponseMessage = Readonly<{
  v: 2
  type: 'response'
  from: string
  encryptPub: string
  ephemeralPub?: string
  session: string
  payload: string
  requestId: string
}> &
  Stamped
export type Reject = Readonly<{ v: 2; type: 'reject'; from: string; session?: string; reason: string }> & Stamped

export type WireMessage = Hello | HelloAck | Log | Inject | Claim | KeyRotationMessage | Ack | ResponseMessage | Reject
export type MessageType = WireMessage['type']

export const MAX_SESSION_CHARS = 256
export const MAX_REASON_CHARS = 1024
/** A claim carries a whole invite token: the cap is the one invites are made and parsed with. */
export const MAX_TOKEN_CHARS = MAX_INVITE_TOKEN_CHARS
/** The deepest a message of the protocol nests (key-rotation → keyRotation; hello → versions), with room to spare. */
export const MAX_NESTING = 4
export const MAX_VERSIONS = 8
export const MAX_VERSION = 255

// A check answers true/false, or a refusal of its own for a nested object.
type Check = (value: unknown) => boolean | Refusal
type Field = readonly [name: string, check: Check, optional?: 'optional']

const is = (expected: unknown): Check => (value) => value === expected
const isString = (max: number, min = 0): Check => (value) => typeof value === 'string' && value.length >= min && value.length <= max
const isSignKey: Check = (value) => isPublicKeyText('ed25519Spki', value)
const isEncryptKey: Check = (value) => isPublicKeyText('x25519Spki', value)
const isHex32: Check = (value) => typeof value === 'string' && /^[0-9a-f]{32}$/.test(value)
const isTime: Check = (value) => Number.isSafeInteger(value) && (value as number) >= 0
const isVersion: Check = (value) => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_VERSION
const isVersions: Check = (value) =>
  Array.isArray(value) && value.length >= 1 && value.length <= MAX_VERSIONS && value.every((v) => isVersion(v) === true)
const isWireVersion: Check = (value) => value === 1 || value === 2
// Only the canonical spelling of a 64-byte signature: a second spelling of the
// same signature (unpadded, base64url) would be a second spelling of the line.
const isSig: Check = (value) => typeof value === 'string' && value.length === 88 && value.endsWith('==') && isCanonicalBase64(value)
const isRotationReason: Check = isReason
const isSession = isString(MAX_SESSION_CHARS, 1)
const isPayload = isString(Infinity)

const STAMP: readonly Field[] = [
  ['nonce', isHex32],
  ['ts', isTime],
  ['sig', isSig],
]

const ROTATION: readonly Field[] = [
  ['v', is(1)],
  ['type', is('key-rotation')],
  ['oldSignPub', isSignKey],
  ['newSignPub', isSignKey],
  ['newEncryptPub', isEncryptKey],
  ['reason', isRotationReason],
  ['effectiveAt', isTime],
  ['gracePeriodMs', isTime],
  ['sig', isSig],
]

const isRotation: Check = (value) => (isRecord(value) ? (checkFields(value, ROTATION, 'keyRotation.') ?? true) : false)

// Field order as the deployed plugin emits it (vectors' fieldOrder); `sig` last.
const SCHEMAS: Readonly<Record<MessageType, readonly Field[]>> = {
  hello: [['v', is(2)], ['type', is('hello')], ['from', isSignKey], ['versions', isVersions], ['ephemeralPub', isEncryptKey], ...STAMP],
  'hello-ack': [['v', is(2)], ['type', is('hello-ack')], ['from', isSignKey], ['version', isVersion], ['ephemeralPub', isEncryptKey], ...STAMP],
  log: [
    ['v', isWireVersion],
    ['type', is('log')],
    ['from', isSignKey],
    ['encryptPub', isEncryptKey],
    ['ephemeralPub', isEncryptKey, 'optional'],
    ['session', isSession],
    ['payload', isPayload],
    ...STAMP,
  ],
  inject: [
    ['v', isWireVersion],
    ['type', is('inject')],
    ['from', isSignKey],
    ['encryptPub', isEncryptKey],
    ['ephemeralPub', isEncryptKey, 'optional'],
    ['session', isSession],
    ['payload', isPayload],
    ['requestId', isHex32],
    ...STAMP,
  ],
  claim: [['v', isWireVersion], ['type', is('claim')], ['from', isSignKey], ['encryptPub', isEncryptKey], ['token', isString(MAX_TOKEN_CHARS, 1)], ...STAMP],
  'key-rotation': [['v', isWireVersion], ['type', is('key-rotation')], ['from', isSignKey], ['keyRotation', isRotation], ...STAMP],
  ack: [
    ['v', is(2)],
    ['type', is('ack')],
    ['from', isSignKey],
    ['session', isSession, 'optional'],
    ['encryptPub', isEncryptKey, 'optional'],
    ...STAMP,
  ],
  response: [
    ['v', is(2)],
    ['type', is('response')],
    ['from', isSignKey],
    ['encryptPub', isEncryptKey],
    ['ephemeralPub', isEncryptKey, 'optional'],
    ['session', isSession],
    ['payload', isPayload],
    ['requestId', isHex32],
    ...STAMP,
  ],
  reject: [['v', is(2)], ['type', is('reject')], ['from', isSignKey], ['session', isSession, 'optional'], ['reason', isString(MAX_REASON_CHARS)], ...STAMP],
}

/** Field names in wire order, optional ones suffixed "?" (the notation of the vectors' fieldOrder). */
export function fieldOrder(type: MessageType | 'keyRotation'): string[] {
  return (type === 'keyRotation' ? ROTATION : SCHEMAS[type]).map(([name, , optional]) => (optional ? `${name}?` : name))
}

/**
 * Parse one line into a frozen message whose typed view IS the parsed object, in
 * arrival key order (the signed bytes are re-serialised from it). Never throws.
 */
export function parseMessage(line: string): Verdict<WireMessage> {
  // Before JSON.parse: a megabyte of hostile nesting costs the parser tens of milliseconds,
  // even from a stranger; one scan that stops at the first level too deep costs far less.
  if (typeof line !== 'string') return refuse('WIRE_NOT_JSON')
  if (nestsDeeperThan(line, MAX_NESTING)) return refuse('WIRE_TOO_DEEP')
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return refuse('WIRE_NOT_JSON')
  }
  if (!isRecord(value)) return refuse('WIRE_NOT_OBJECT')
  if (hasForbiddenKey(value)) return refuse('WIRE_FORBIDDEN_KEY')
  const type = value.type
  if (typeof type !== 'string' || !Object.hasOwn(SCHEMAS, type)) return refuse('WIRE_UNKNOWN_TYPE')
  const refusal = checkFields(value, SCHEMAS[type as MessageType], '')
  if (refusal) return refusal
  if ((type === 'log' || type === 'inject') && (value.v === 2) !== Object.hasOwn(value, 'ephemeralPub')) {
    return refuse('WIRE_BAD_FIELD', 'ephemeralPub must be present exactly when v is 2')
  }
  // Later stages hold the message while they verify it: nothing may reorder or edit it.
  for (const inner of [value.keyRotation, value.versions]) if (inner) Object.freeze(inner)
  return accept(Object.freeze(value) as unknown as WireMessage)
}

/** True once `[`/`{` outside strings open more than `max` levels; stops there. Malformed input is left to JSON.parse. */
export function nestsDeeperThan(line: string, max: number): boolean {
  // Fewer openers than levels cannot nest that deep: the common case, settled by native searches.
  if (countsAtMost(line, max)) return false
  let depth = 0
  let inString = false
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: the next unit is escaped, whatever it is
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}

/** Whether `{` and `[` occur at most `n` times in all, anywhere in the line. */
function countsAtMost(line: string, n: number): boolean {
  let count = 0
  for (const opener of ['{', '[']) {
    for (let at = line.indexOf(opener); at !== -1; at = line.indexOf(opener, at + 1)) if (++count > n) return false
  }
  return true
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkFields(obj: Record<string, unknown>, fields: readonly Field[], where: string): Refusal | null {
  // Extra keys first, and never echoed: they are peer bytes.
  for (const key of Object.keys(obj)) {
    if (!fields.some(([name]) => name === key)) return refuse('WIRE_EXTRA_FIELD', `${where || 'message'} has an unknown field`)
  }
  for (const [name, check, optional] of fields) {
    if (!Object.hasOwn(obj, name)) {
      if (optional) continue
      return refuse('WIRE_BAD_FIELD', `${where}${name} missing`)
    }
    const verdict = check(obj[name])
    if (verdict === false) return refuse('WIRE_BAD_FIELD', `${where}${name}`)
    if (verdict !== true) return verdict
  }
  return null
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Any prototype-shaped key at any depth. JSON.parse makes them harmless own
 * properties, but code further on might copy or merge them. Iterative, each node
 * visited once and no recursion, so hostile nesting costs time linear in the line.
 */
function hasForbiddenKey(root: Record<string, unknown>): boolean {
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (typeof node !== 'object' || node === null) continue
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) stack.push(node[i])
      continue
    }
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) return true
      stack.push((node as Record<string, unknown>)[key])
    }
  }
  return false
}
