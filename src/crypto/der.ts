// Key encodings on the wire (WIRE.md "Keys and identifiers"): base64 (standard,
// padded) of DER — SPKI for public keys, PKCS8 for private keys. Every DER form
// here is a fixed header followed by the 32 raw key bytes, so decoding is a
// strict prefix-and-length check, never a general ASN.1 parse.

const HEADERS = {
  ed25519Spki: Buffer.from('302a300506032b6570032100', 'hex'),
  ed25519Pkcs8: Buffer.from('302e020100300506032b657004220420', 'hex'),
  x25519Spki: Buffer.from('302a300506032b656e032100', 'hex'),
  x25519Pkcs8: Buffer.from('302e020100300506032b656e04220420', 'hex'),
} as const

export type KeyForm = keyof typeof HEADERS

const B64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Strict standard base64: canonical padding, and it must round-trip (no malleable spellings). */
export function decodeBase64Strict(text: string): Buffer | null {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !B64.test(text)) return null
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text ? bytes : null
}

export function encodeKey(form: KeyForm, raw: Uint8Array): string {
  if (raw.length !== 32) throw new RangeError(`${form}: raw key must be 32 bytes, got ${raw.length}`)
  return Buffer.concat([HEADERS[form], raw]).toString('base64')
}

/** The 32 raw bytes of a base64 DER key of the given form, or null when it is anything else. */
export function decodeKey(form: KeyForm, text: unknown): Buffer | null {
  if (typeof text !== 'string') return null
  const header = HEADERS[form]
  if (text.length !== Math.ceil((header.length + 32) / 3) * 4) return null
  const der = decodeBase64Strict(text)
  if (!der || der.length !== header.length + 32) return null
  if (!der.subarray(0, header.length).equals(header)) return null
  return der.subarray(header.length)
}
