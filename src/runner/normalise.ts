// Text normalisation for everything the runner hands back (DESIGN.md "Capabilities
// → what the sandbox job does", `message`): well-formed Unicode, no control
// characters but \n and \t, NFC, bounded in UTF-8 bytes. Pure.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
// C0 except \t and \n, DEL, and C1: terminal escapes, NULs and the like.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g

/**
 * Normalise `text` and cut it to at most `maxBytes` UTF-8 bytes on a code point
 * boundary. A lone surrogate (the only ill-formed UTF-8 a JSON string can carry,
 * as a \uD800 escape) becomes U+FFFD; CRLF and lone CR become \n so line
 * structure survives the control-character strip.
 */
export function normaliseText(text: string, maxBytes: number): string {
  const clean = text.replace(LONE_SURROGATE, '\uFFFD').replace(/\r\n?/g, '\n').replace(CONTROL, '').normalize('NFC')
  return truncateUtf8(clean, maxBytes)
}

/** Bytes and invalid sequences → text, each invalid sequence as U+FFFD (shell output is arbitrary bytes). */
export function decodeLossy(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes)
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text
  let bytes = 0
  let end = 0
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
    if (bytes + size > maxBytes) break
    bytes += size
    end += ch.length
  }
  // No re-normalising: composition only ever looks back from a character, so a
  // code-point prefix of NFC text is NFC (the unit tests check it on random text).
  return text.slice(0, end)
}
