// FRIEND_REQUEST / FRIEND_ACCEPT chat lines (WIRE.md "Friend request / accept lines", "Where the
// sidecar is stricter"; SECURITY.md "Friend Protocol Security"): create, strictly parse and verify
// them, and name the friend's dedicated session in display and WOPR-safe forms.

import { createHash } from 'node:crypto'
import { decodeBase64Strict, decodeKey } from '../crypto/der.ts'
import { sign } from '../crypto/ed25519.ts'
import type { Identity } from '../identity/keys.ts'
import { shortIdOf } from '../identity/ids.ts'
import { accept, refuse, type Refusal, type Verdict } from '../reasons.ts'
import { verifyBody } from './signed-json.ts'

/** Freshness in both directions; upstream only refuses lines older than this. */
export const FRIEND_WINDOW_MS = 300_000
/** Chat handles are far shorter; the bound keeps a hostile line cheap and its name displayable. */
export const MAX_FRIEND_NAME_CHARS = 128
export const MAX_FRIEND_LINE_CHARS = 2048

export interface FriendRequest {
  type: 'FRIEND_REQUEST'
  to: string
  from: string
  pubkey: string
  encryptPub: string
  timestamp: number
  sig: string
}

export interface FriendAccept {
  type: 'FRIEND_ACCEPT'
  to: string
  from: string
  pubkey: string
  encryptPub: string
  requestSig: string
  timestamp: number
  sig: string
}

export type FriendLine = FriendRequest | FriendAccept

/** The verified sender: `name` is their `from` exactly as signed; show `shortId` to confirm an accept. */
export interface FriendPeer {
  name: string
  signPub: string
  encryptPub: string
  shortId: string
}

const LABELS = {
  FRIEND_REQUEST: ['to', 'from', 'pubkey', 'encryptPub', 'ts', 'sig'],
  FRIEND_ACCEPT: ['to', 'from', 'pubkey', 'encryptPub', 'requestSig', 'ts', 'sig'],
} as const

// Beyond upstream's "no whitespace": no controls, lone surrogates or bidi overrides, which would let a
// name display as something it is not when the operator confirms a friend.
const NAME_FORBIDDEN = /[\s\p{Cc}\p{Cs}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u
const DECIMAL = /^(0|[1-9][0-9]*)$/

export function createFriendRequest(me: Identity, opts: { to: string; from: string; now: number }): { line: string; sig: string } {
  const fields = { type: 'FRIEND_REQUEST', to: opts.to, from: opts.from, pubkey: me.signPub, encryptPub: me.encryptPub, timestamp: opts.now } as const
  return signLine(me, fields)
}

/** `to` is the requester's name and `requestSig` the sig of the request being accepted. */
export function createFriendAccept(
  me: Identity,
  opts: { to: string; from: string; requestSig: string; now: number },
): { line: string; sig: string } {
  const { to, from, requestSig, now } = opts
  const fields = { type: 'FRIEND_ACCEPT', to, from, pubkey: me.signPub, encryptPub: me.encryptPub, requestSig, timestamp: now } as const
  return signLine(me, fields)
}

/** Shape only; tolerates surrounding whitespace and a trailing newline; never throws. */
export function parseFriendRequest(text: unknown): Verdict<FriendRequest> {
  const f = readFields(text, 'FRIEND_REQUEST')
  if ('ok' in f) return f
  const bad = checkCommon(f)
  if (bad) return bad
  const { to, from, pubkey, encryptPub, ts, sig } = f
  return accept({ type: 'FRIEND_REQUEST', to, from, pubkey, encryptPub, timestamp: Number(ts), sig })
}

export function parseFriendAccept(text: unknown): Verdict<FriendAccept> {
  const f = readFields(text, 'FRIEND_ACCEPT')
  if ('ok' in f) return f
  const bad = checkCommon(f)
  if (bad) return bad
  if (!isSig(f.requestSig)) return badLine('requestSig is not base64 of 64 bytes')
  const { to, from, pubkey, encryptPub, requestSig, ts, sig } = f
  return accept({ type: 'FRIEND_ACCEPT', to, from, pubkey, encryptPub, requestSig, timestamp: Number(ts), sig })
}

/** Signature, two-sided freshness, then that it is addressed to `ourName`. */
export function verifyFriendRequest(request: FriendRequest, ctx: { ourName: string; now: number }): Verdict<FriendPeer> {
  return checkSigned(request, ctx) ?? accept(peerOf(request))
}

/** As a request, and `requestSig` must be the sig of one of our own pending outgoing requests. */
export function verifyFriendAccept(
  acceptLine: FriendAccept,
  ctx: { ourName: string; now: number; pendingRequestSigs: readonly string[] },
): Verdict<FriendPeer> {
  const bad = checkSigned(acceptLine, ctx)
  if (bad) return bad
  if (!ctx.pendingRequestSigs.includes(acceptLine.requestSig)) return refuse('FRIEND_NO_PENDING')
  return accept(peerOf(acceptLine))
}

/** The exact signed string: fixed key order, and the field is named `timestamp` (not `ts`). */
export function friendSignedJson(f: Omit<FriendRequest, 'sig'> | Omit<FriendAccept, 'sig'>): string {
  const { type, to, from, pubkey, encryptPub, timestamp } = f
  if (f.type === 'FRIEND_REQUEST') return JSON.stringify({ type, to, from, pubkey, encryptPub, timestamp })
  return JSON.stringify({ type, to, from, pubkey, encryptPub, requestSig: f.requestSig, timestamp })
}

/**
 * `friend:p2p:<name>(<first 6 hex of the peer's short id>)`. Upstream took the first 6 base64 chars
 * of the key, which are always "MCowBQ" (the DER header), so every friend of one name shared a session.
 */
export function friendSessionName(name: string, peerSignPub: string): string {
  return `friend:p2p:${name}(${shortIdOf(peerSignPub).slice(0, 6)})`
}

const DISPLAY = /^friend:p2p:(.+)\(([0-9a-f]{6})\)$/su
const PLAIN_NAME = /^[a-z0-9_-]{1,64}$/

/**
 * The WOPR session name (^[a-zA-Z0-9._-]+$, at most 82 chars) for a friendSessionName display. A
 * plain lowercase name maps as is (`friend-p2p-alice-3f9a1c`); any other name becomes a readable
 * slug, '.', and 16 hex of a hash of the name. Plain results never contain '.', so distinct
 * displays never share a WOPR name (short of a 64-bit hash collision), even on a case-insensitive
 * store. Throws RangeError for anything else: displays come from friendSessionName.
 */
export function woprSafeSessionName(display: string): string {
  const m = DISPLAY.exec(display)
  const name = m?.[1]
  const id = m?.[2]
  if (name === undefined || id === undefined) throw new RangeError('woprSafeSessionName: not a friend:p2p:<name>(<6 hex>) name')
  if (PLAIN_NAME.test(name)) return `friend-p2p-${name}-${id}`
  // The slug is only for humans (Ålice → alice): distinctness comes from the hash.
  const slug = name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40)
  // UTF-16 code units, not UTF-8: names differing only in lone surrogates must not hash alike.
  const hash = createHash('sha256').update(Buffer.from(name, 'utf16le')).digest('hex').slice(0, 16)
  return `friend-p2p-${slug}.${hash}-${id}`
}

type Fields<T extends FriendLine['type']> = Record<(typeof LABELS)[T][number], string>

function signLine(me: Identity, fields: Omit<FriendRequest, 'sig'> | Omit<FriendAccept, 'sig'>): { line: string; sig: string } {
  const sig = sign(Buffer.from(friendSignedJson(fields), 'utf8'), me.signSecretKey).toString('base64')
  const line = formatLine({ ...fields, sig })
  // Never post a line that we (or a strict peer) would refuse to read back.
  const back = fields.type === 'FRIEND_REQUEST' ? parseFriendRequest(line) : parseFriendAccept(line)
  if (!back.ok) throw new RangeError(`friend line: ${back.detail ?? back.reason}`)
  return { line, sig }
}

function formatLine(f: FriendLine): string {
  const requestSig = f.type === 'FRIEND_ACCEPT' ? ` | requestSig:${f.requestSig}` : ''
  return `${f.type} | to:${f.to} | from:${f.from} | pubkey:${f.pubkey} | encryptPub:${f.encryptPub}${requestSig} | ts:${f.timestamp} | sig:${f.sig}`
}

/**
 * Splitting on " | " is unambiguous because no value may contain whitespace, so a name such as
 * "a|b" stays whole. Labels must appear in WIRE.md's order, spelled exactly.
 */
function readFields<T extends FriendLine['type']>(text: unknown, type: T): Fields<T> | Refusal {
  if (typeof text !== 'string') return badLine('line is not a string')
  if (text.length > MAX_FRIEND_LINE_CHARS) return badLine(`line longer than ${MAX_FRIEND_LINE_CHARS} chars`)
  const parts = text.trim().split(' | ')
  const labels: readonly string[] = LABELS[type]
  if (parts[0] !== type || parts.length !== labels.length + 1) return badLine(`not a ${type} line with ${labels.length} fields`)
  const fields: Record<string, string> = {}
  for (const [i, label] of labels.entries()) {
    const part = parts[i + 1] ?? ''
    if (!part.startsWith(`${label}:`)) return badLine(`field ${i + 1} is not ${label}:`)
    fields[label] = part.slice(label.length + 1)
  }
  return fields as Fields<T>
}

function checkCommon(f: Fields<'FRIEND_REQUEST'>): Refusal | null {
  if (!isName(f.to)) return badLine(`to is not a name of 1..${MAX_FRIEND_NAME_CHARS} visible, non-space chars`)
  if (!isName(f.from)) return badLine(`from is not a name of 1..${MAX_FRIEND_NAME_CHARS} visible, non-space chars`)
  if (decodeKey('ed25519Spki', f.pubkey) === null) return badLine('pubkey is not a base64 Ed25519 SPKI key')
  if (decodeKey('x25519Spki', f.encryptPub) === null) return badLine('encryptPub is not a base64 X25519 SPKI key')
  // Canonical decimal only: "ts:01" would sign as 1 and give one line two spellings.
  if (!DECIMAL.test(f.ts) || !Number.isSafeInteger(Number(f.ts))) return badLine('ts is not a canonical safe integer')
  if (!isSig(f.sig)) return badLine('sig is not base64 of 64 bytes')
  return null
}

function checkSigned(f: FriendLine, ctx: { ourName: string; now: number }): Refusal | null {
  const key = decodeKey('ed25519Spki', f.pubkey)
  if (!key) return badLine('pubkey is not a base64 Ed25519 SPKI key')
  if (!verifyBody(friendSignedJson(f), f.sig, key)) return refuse('FRIEND_BAD_SIGNATURE')
  // Written as !(… <= …) so that a NaN clock fails closed.
  if (!(Math.abs(ctx.now - f.timestamp) <= FRIEND_WINDOW_MS)) return refuse('FRIEND_STALE')
  if (!namesMatch(f.to, ctx.ourName)) return refuse('FRIEND_NOT_FOR_US')
  return null
}

/**
 * WIRE.md: strip a leading '@' and ignore case. We also NFC-normalise, so canonically equivalent
 * spellings (which render identically) match; toLowerCase is locale-independent. No compatibility
 * folding (NFKC) or full case folding (ß ≠ ss): those would merge names that look different.
 */
function namesMatch(to: string, ourName: string): boolean {
  const ours = foldName(ourName)
  return ours !== '' && foldName(to) === ours
}

function foldName(name: string): string {
  return name.replace(/^@/, '').normalize('NFC').toLowerCase()
}

function peerOf(f: FriendLine): FriendPeer {
  return { name: f.from, signPub: f.pubkey, encryptPub: f.encryptPub, shortId: shortIdOf(f.pubkey) }
}

function isName(s: string): boolean {
  return s.length >= 1 && s.length <= MAX_FRIEND_NAME_CHARS && !NAME_FORBIDDEN.test(s)
}

function isSig(s: string): boolean {
  return decodeBase64Strict(s)?.length === 64
}

function badLine(detail: string): Refusal {
  return refuse('FRIEND_BAD_LINE', detail)
}
