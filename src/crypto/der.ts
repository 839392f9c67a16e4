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

const B64 = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
// The last data character before padding carries unused low bits, which must
// be zero: otherwise one byte string has several spellings (malleability).
const LAST_BEFORE_ONE_PAD = 'AEIMQUYcgkosw048'
const LAST_BEFORE_TWO_PAD = 'AQgw'

/** True for standard base64 in its one canonical spelling (padded, zero pad bits). */
export function isCanonicalBase64(text: unknown): text is string {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !B64.test(text)) return false
  if (text.endsWith('==')) return LAST_BEFORE_TWO_PAD.includes(text[text.length - 3]!)
  if (text.endsWith('=')) return LAST_BEFORE_ONE_PAD.includes(text[text.length - 2]!)
  return true
}

/**
 * Strict standard base64: the canonical spelling only, else null. Node's decoder skips what
 * it cannot read and ignores pad bits, but its encoder writes only the canonical form, so
 * text that re-encodes to itself is canonical — for a payload, cheaper than the pattern.
 */
export function decodeBase64Strict(text: string): Buffer | null {
  if (typeof text !== 'string' || text.length % 4 !== 0) return null
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text ? bytes : null
}

const HEADER_TEXT: Record<KeyForm, string> = {
  ed25519Spki: HEADERS.ed25519Spki.toString('base64'),
  ed25519Pkcs8: '',
  x25519Spki: HEADERS.x25519Spki.toString('base64'),
  x25519Pkcs8: '',
}

/**
 * True when `text` is a public key of this form, checked on the text alone:
 * the 12-byte SPKI header is exactly the first 16 base64 characters, so no
 * decoding is needed — the parser runs this on every line, strangers' too.
 */
export function isPublicKeyText(form: 'ed25519Spki' | 'x25519Spki', text: unknown): text is string {
  // 44 DER bytes are exactly 60 characters ending in one '='.
  return typeof text === 'string' && text.length === 60 && text.endsWith('=') && text[58] !== '=' && text.startsWith(HEADER_TEXT[form]) && isCanonicalBase64(text)
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
