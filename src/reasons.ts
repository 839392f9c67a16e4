// Every refusal the sidecar can make, as a stable upper-snake code with one line
// of meaning. Callers branch on the code; humans read the meaning. Codes are
// part of the operator interface (status counters, logs, CLI exit messages):
// never rename one, only add.

export const REASONS = {
  // Framing and parsing (WIRE.md "Transport and framing")
  WIRE_LINE_TOO_LONG: 'line exceeds 1 MiB + 4 KiB before its newline',
  WIRE_NOT_JSON: 'line is not valid JSON',
  WIRE_NOT_OBJECT: 'message is not a JSON object',
  WIRE_FORBIDDEN_KEY: 'message carries __proto__, constructor or prototype',
  WIRE_UNKNOWN_TYPE: 'message type is not one this protocol knows',
  WIRE_BAD_FIELD: 'a field is missing, has the wrong type, or is out of range',
  WIRE_EXTRA_FIELD: 'message carries a field its type does not have',
  WIRE_NON_CANONICAL: 'line is not the canonical JSON.stringify form with sig last',
  // Admission (DESIGN.md "The path of one inbound message")
  ADMIT_TOO_LARGE: 'message larger than the line cap',
  ADMIT_UNKNOWN_SENDER: 'sender is neither a friend nor a grantee (dropped before any signature check)',
  ADMIT_BAD_SIGNATURE: 'signature does not verify against the sender key',
  ADMIT_STALE: 'timestamp outside the freshness window (±5 min)',
  ADMIT_REPLAY: 'nonce already seen from this peer within the window',
  ADMIT_REPLAY_FULL: 'peer has too many nonces in the window; refused until they expire',
  ADMIT_UNAUTHORIZED: 'peer has no grant for this session and capability',
  ADMIT_RATE_LIMITED: 'peer exceeded its rate limit for this action',
  ADMIT_PAYLOAD_TOO_LARGE: 'payload exceeds 1 MB',
  ADMIT_NO_COMMON_VERSION: 'hello offers no protocol version we speak',
  ADMIT_V1_REFUSED: 'static-key (v1) message refused by policy',
  ADMIT_NO_SESSION_KEY: 'v2 message on a connection without a hello-ack ephemeral key',
  ADMIT_DECRYPT_FAILED: 'payload does not decrypt and authenticate',
  ADMIT_BAD_TOKEN: 'invite token is malformed, expired, forged or not for this sender',
  ADMIT_TOKEN_USED: 'invite token was already claimed',
  ADMIT_BAD_ROTATION: 'key rotation notice is invalid, stale or has an out-of-policy grace',
  // Friend lines and invites (chat-channel artefacts)
  FRIEND_BAD_LINE: 'friend line is malformed',
  FRIEND_BAD_SIGNATURE: 'friend line signature does not verify',
  FRIEND_STALE: 'friend line timestamp outside ±5 min',
  FRIEND_NOT_FOR_US: 'friend request is addressed to another name',
  FRIEND_NO_PENDING: 'accept does not match a pending request of ours',
  INVITE_MALFORMED: 'invite token is not wop1:// base64url JSON of the right shape',
  INVITE_EXPIRED: 'invite token has expired',
  INVITE_BAD_SIGNATURE: 'invite token signature does not verify against its issuer',
  INVITE_WILDCARD: 'invite token names the * session, which is never honoured',
  // State on disk
  STORE_INSECURE_MODE: 'state file or directory is readable or writable by others',
  STORE_CORRUPT: 'state file does not parse',
} as const

export type Reason = keyof typeof REASONS

export type Refusal = { ok: false; reason: Reason; detail?: string }
export type Verdict<T> = { ok: true; value: T } | Refusal

export function refuse(reason: Reason, detail?: string): Refusal {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail }
}

export function accept<T>(value: T): { ok: true; value: T } {
  return { ok: true, value }
}

/** One structured error class for bugs and broken infrastructure (peer input never throws). */
export class WoprP2PError extends Error {
  constructor(
    readonly code: Reason | 'USAGE' | 'IO' | 'STATE',
    message: string,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'WoprP2PError'
  }
}
