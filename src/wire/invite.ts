// Invite tokens (WIRE.md "Invites", "Where the sidecar is stricter"): create, strictly parse and
// verify `wop1://` tokens. Single-use is not decided here: the store remembers claimed nonces, and
// whether the claimer is `sub` is the admission gate's check.

import { randomBytes } from 'node:crypto'
import { decodeBase64Strict, decodeKey } from '../crypto/der.ts'
import type { Identity } from '../identity/keys.ts'
import { accept, refuse, type Refusal, type Verdict } from '../reasons.ts'
import { signObject, verifyBody } from './signed-json.ts'

export const INVITE_SCHEME = 'wop1://'
/** Generous for any honest invite (32 × 256-char sessions fit), small enough that a pasted blob costs little. */
export const MAX_INVITE_SESSIONS = 32
export const MAX_INVITE_SESSION_CHARS = 256
export const MAX_INVITE_TOKEN_CHARS = 16_384

export interface Invite {
  v: 1
  iss: string
  sub: string
  ses: string[]
  /** Upstream only ever issues ["inject"] and the signature covers it, so we accept nothing else. */
  cap: ['inject']
  exp: number
  nonce: string
  sig: string
}

const KEYS = ['v', 'iss', 'sub', 'ses', 'cap', 'exp', 'nonce', 'sig']
// Session names become keys in the grant store, so prototype names are refused here too.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])
const NONCE = /^[0-9a-f]{32}$/
const BASE64URL = /^[A-Za-z0-9_-]+$/

/** Throws RangeError on a caller bug: an empty or wildcard session list, or anything parseInvite would refuse. */
export function createInvite(issuer: Identity, subSignPub: string, sessions: string[], opts: { expiresAt: number; nonce?: string }): string {
  if (sessions.length === 0 || sessions.some((s) => s.includes('*'))) {
    throw new RangeError('createInvite: sessions must be a non-empty list naming no * session')
  }
  const fields = {
    v: 1,
    iss: issuer.signPub,
    sub: subSignPub,
    ses: [...sessions],
    cap: ['inject'],
    exp: opts.expiresAt,
    nonce: opts.nonce ?? randomBytes(16).toString('hex'),
  }
  const token = INVITE_SCHEME + Buffer.from(signObject(fields, issuer.signSecretKey), 'utf8').toString('base64url')
  // Never hand out a token that we (or a strict peer) would refuse to read back.
  const back = parseInvite(token)
  if (!back.ok) throw new RangeError(`createInvite: ${back.detail ?? back.reason}`)
  return token
}

/** Shape only (no clock, no signature); never throws. */
export function parseInvite(token: unknown): Verdict<Invite> {
  if (typeof token !== 'string') return malformed('token is not a string')
  if (token.length > MAX_INVITE_TOKEN_CHARS) return malformed(`token longer than ${MAX_INVITE_TOKEN_CHARS} chars`)
  if (!token.startsWith(INVITE_SCHEME)) return malformed('token does not start with wop1://')
  const json = decodeBase64UrlText(token.slice(INVITE_SCHEME.length))
  if (json === null) return malformed('body is not strict unpadded base64url of UTF-8')
  let obj: unknown
  try {
    obj = JSON.parse(json)
  } catch {
    return malformed('body is not JSON')
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return malformed('body is not a JSON object')
  const keys = Object.keys(obj)
  if (keys.some((k) => FORBIDDEN.has(k))) return malformed('body carries __proto__, constructor or prototype')
  if (keys.length !== KEYS.length || keys.some((k, i) => k !== KEYS[i])) return malformed(`keys are not exactly ${KEYS.join(',')}`)
  const { v, iss, sub, ses, cap, exp, nonce, sig } = obj as Record<string, unknown>
  if (v !== 1) return malformed('v is not 1')
  if (!isSignPub(iss)) return malformed('iss is not a base64 Ed25519 SPKI key')
  if (!isSignPub(sub)) return malformed('sub is not a base64 Ed25519 SPKI key')
  if (!isSessionList(ses)) {
    return malformed(`ses is not 1..${MAX_INVITE_SESSIONS} session names of 1..${MAX_INVITE_SESSION_CHARS} chars, none a prototype key`)
  }
  if (!Array.isArray(cap) || cap.length !== 1 || cap[0] !== 'inject') return malformed('cap is not ["inject"]')
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp) || exp < 0) return malformed('exp is not a non-negative safe integer')
  if (typeof nonce !== 'string' || !NONCE.test(nonce)) return malformed('nonce is not 32 lowercase hex')
  if (typeof sig !== 'string' || decodeBase64Strict(sig)?.length !== 64) return malformed('sig is not base64 of 64 bytes')
  // Only the bytes JSON.stringify emits: no whitespace, escape or number respellings, no duplicate keys.
  if (JSON.stringify(obj) !== json) return malformed('body is not canonical JSON')
  return accept({ v: 1, iss, sub, ses: [...ses], cap: ['inject'], exp, nonce, sig })
}

/** Expiry (checked first, as upstream does), then the issuer's signature, then the wildcard ban. */
export function verifyInvite(invite: Invite, now: number): Verdict<Invite> {
  // Written as !(now <= exp) so that a NaN clock fails closed.
  if (!(now <= invite.exp)) return refuse('INVITE_EXPIRED')
  const issuer = decodeKey('ed25519Spki', invite.iss)
  if (!issuer) return malformed('iss is not a base64 Ed25519 SPKI key')
  if (!verifyBody(inviteSignedJson(invite), invite.sig, issuer)) return refuse('INVITE_BAD_SIGNATURE')
  if (invite.ses.some((s) => s.includes('*'))) return refuse('INVITE_WILDCARD')
  return accept(invite)
}

/** The bytes `iss` signs, always in the emitted key order whatever order the object's keys are in. */
export function inviteSignedJson(invite: Omit<Invite, 'sig'>): string {
  const { v, iss, sub, ses, cap, exp, nonce } = invite
  return JSON.stringify({ v, iss, sub, ses, cap, exp, nonce })
}

function malformed(detail: string): Refusal {
  return refuse('INVITE_MALFORMED', detail)
}

function isSignPub(x: unknown): x is string {
  return decodeKey('ed25519Spki', x) !== null
}

function isSessionList(x: unknown): x is string[] {
  return (
    Array.isArray(x) &&
    x.length >= 1 &&
    x.length <= MAX_INVITE_SESSIONS &&
    x.every((s) => typeof s === 'string' && s.length >= 1 && s.length <= MAX_INVITE_SESSION_CHARS && !FORBIDDEN.has(s))
  )
}

/** Strict base64url: alphabet only, no padding, and it must re-encode identically (no spare-bit respellings). */
function decodeBase64UrlText(text: string): string | null {
  if (!BASE64URL.test(text)) return null
  const bytes = Buffer.from(text, 'base64url')
  if (bytes.toString('base64url') !== text) return null
  try {
    // fatal: invalid UTF-8 is refused, not replaced; ignoreBOM: a BOM is kept, so JSON.parse refuses it.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return null
  }
}
