// Reason codes of the swarm layer, in the shape of src/reasons.ts (code: one line of
// meaning). Listener codes count what a connection did; SEND_ codes are outbound
// outcomes and discarded replies. Stable operator interface: never rename, only add.

export const SWARM_REASONS = {
  // Listener: per inbound connection (DESIGN.md "Bounded everything")
  SWARM_HANDSHAKE_TIMEOUT: 'connection sent no admitted message within the handshake time (5 s); closed',
  SWARM_IDLE: 'connection had no admitted message for the idle time; closed',
  SWARM_QUEUE_FULL: 'line arrived while the connection already had its one in-flight message and a full queue; dropped',
  SWARM_REPEAT_HELLO: 'second hello on one connection; ignored, as the deployed listener does',
  SWARM_PEER_CONNECTIONS: 'the key already holds its maximum number of connections; the new one is closed',
  SWARM_NO_HANDLER: 'no sandbox handler is configured, so log and inject are refused (fail closed)',
  SWARM_HANDLER_REFUSED: 'the handler refused the message with a reason of its own',
  SWARM_HANDLER_FAILED: 'the handler threw or ran past its time limit',
  SWARM_HOOK_FAILED: 'recording an admitted claim or key rotation failed; the sender is refused',
  SWARM_SEAL_FAILED: "the response could not be encrypted to the sender's key",
  SWARM_RESPONSE_TOO_LARGE: "the handler's text makes a payload over 1 MiB; the sender is told `inject failed`",
  SWARM_INTERNAL_ERROR: 'a bug while serving a line; the connection was dropped',
  // Client: outcomes of one send
  SEND_UNREACHABLE: 'no connection on the peer topic answered with a hello-ack signed by the peer, after every retry',
  SEND_TIMEOUT: 'the peer did not reply in time',
  SEND_CLOSED: 'the connection closed after the message was written and before the reply',
  SEND_BUSY: 'too many sends are already queued for this peer',
  SEND_VERSION: 'the peer chose a protocol version we do not speak (v1 static keys refused by policy)',
  SEND_SEAL_FAILED: "the message could not be encrypted to the peer's key",
  // Client: replies discarded while waiting (never used, never shown)
  SEND_REPLY_MALFORMED: 'reply line is oversized, not canonical JSON, or not a message of the protocol',
  SEND_REPLY_NOT_FROM_PEER: 'reply is not signed by the key we addressed (an impostor on the topic, or a relay)',
  SEND_REPLY_STALE: 'reply timestamp outside the freshness window',
  SEND_REPLY_REPLAYED: 'reply nonce already seen from this peer',
  SEND_REPLY_UNEXPECTED: 'reply of the wrong type, for another request or session, or that does not decrypt',
} as const

export type SwarmReason = keyof typeof SWARM_REASONS

/** One counter per reason (and per ACCEPTED_ kind), as the admission gate keeps them. */
export function bump(counters: Map<string, number>, key: string): void {
  counters.set(key, (counters.get(key) ?? 0) + 1)
}
