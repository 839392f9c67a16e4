// Identifiers derived from a signing key (WIRE.md "Keys and identifiers"):
// both hash the base64 SPKI *text*, not the key bytes.

import { createHash } from 'node:crypto'

/** The agent's Hyperswarm topic: sha256(utf8(base64 SPKI signing key)). */
export function topicOf(signPub: string): Buffer {
  return createHash('sha256').update(signPub, 'utf8').digest()
}

/** First 8 hex chars of the topic. */
export function shortIdOf(signPub: string): string {
  return topicOf(signPub).toString('hex').slice(0, 8)
}

/**
 * A human-comparable fingerprint: sha256 of the raw key bytes' SPKI text in
 * eight groups of four hex digits, for reading aloud when confirming a friend.
 */
export function fingerprintOf(signPub: string): string {
  const hex = createHash('sha256').update(`wopr-p2p fingerprint\0${signPub}`, 'utf8').digest('hex').slice(0, 32)
  return hex.match(/.{4}/g)!.join(' ')
}
