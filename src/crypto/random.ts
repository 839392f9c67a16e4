// Random bytes from libsodium's CSPRNG. Nonces, IVs and request ids are drawn on every
// message; node:crypto.randomBytes costs several times more per call on this path.

import sodium from 'sodium-native'

export function randomBytes(size: number): Buffer {
  // Unpooled: every byte is overwritten at once, and a slice of Node's shared pool would
  // let a later small allocation sit next to (and outlive) what we hand out.
  const out = Buffer.allocUnsafeSlow(size)
  sodium.randombytes_buf(out)
  return out
}

/** `size` random bytes as lowercase hex (the wire's nonce and requestId form). */
export function randomHex(size: number): string {
  return randomBytes(size).toString('hex')
}
