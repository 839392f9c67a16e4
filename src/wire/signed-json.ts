// Signed JSON lines (WIRE.md "Signatures"): sig = Ed25519 over
// utf8(JSON.stringify(msg without sig)), and `sig` is the last key as sent.
//
// We accept only the canonical spelling: the received line must equal what
// JSON.stringify emits for the parsed object with sig last. Every conforming
// sender (deployed plugins use JSON.stringify) produces exactly that, and it
// rules out malleable variants — whitespace, escapes, number forms, and
// duplicate keys whose hidden first value JSON.parse would silently drop.

import { sign, verify } from '../crypto/ed25519.ts'
import { decodeBase64Strict } from '../crypto/der.ts'

/** Serialise and sign; keys whose value is undefined are absent, as with JSON.stringify. */
export function signObject(fields: Record<string, unknown>, secretKey: Buffer): string {
  const body = JSON.stringify(fields)
  const sig = sign(Buffer.from(body, 'utf8'), secretKey).toString('base64')
  return appendSig(body, sig)
}

export function appendSig(body: string, sig: string): string {
  return body === '{}' ? `{"sig":${JSON.stringify(sig)}}` : `${body.slice(0, -1)},"sig":${JSON.stringify(sig)}}`
}

/** The exact bytes that were signed: the object without `sig`, keys in arrival order. */
export function signedBody(obj: Record<string, unknown>): string {
  const { sig: _sig, ...rest } = obj
  return JSON.stringify(rest)
}

/** True when `line` is the canonical serialisation of `obj` with `sig` last. */
export function isCanonicalSignedLine(line: string, obj: Record<string, unknown>, body: string): boolean {
  return typeof obj.sig === 'string' && line === appendSig(body, obj.sig)
}

export function verifyBody(body: string, sigB64: unknown, publicKey: Buffer): boolean {
  if (typeof sigB64 !== 'string' || sigB64.length !== 88) return false
  const sig = decodeBase64Strict(sigB64)
  return sig !== null && verify(sig, Buffer.from(body, 'utf8'), publicKey)
}
