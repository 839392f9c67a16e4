// Every refusal the sidecar can make, as a stable upper-snake code with one line
// of meaning. Callers branch on the code; humans read the meaning. Codes are
// part of the operator interface (status counters, logs, CLI exit messages):
// never rename one, only add.

export const REASONS = {
  // Framing and parsing (WIRE.md "Transport and framing")
  WIRE_LINE_TOO_LONG: 'line exceeds 1 MiB + 4 KiB before its newline',
  WIRE_NOT_JSON: 'line is not valid JSON',
  WIRE_TOO_DEEP: 'message nests objects or arrays deeper than any message of the protocol',
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
  ADMIT_ROTATION_KEY_TAKEN: 'key rotation moves to a key a peer here (or we) already hold',
  ADMIT_ROTATION_TOO_SOON: 'peer already has two rotations within their grace; a further one waits until one ends',
  // Friend lines and invites (chat-channel artefacts)
  FRIEND_BAD_LINE: 'friend line is malformed',
  FRIEND_BAD_SIGNATURE: 'friend line signature does not verify',
  FRIEND_STALE: 'friend line timestamp outside ±5 min',
  FRIEND_NOT_FOR_US: 'friend request is addressed to another name',
  FRIEND_NO_PENDING: 'accept does not match a pending request of ours',
  FRIEND_NAME_TAKEN: 'another friend already has this session name (same name and short-id prefix)',
  FRIEND_NOT_AUTO_ACCEPTED: 'no auto-accept rule names this requester; an operator must accept it',
  INVITE_MALFORMED: 'invite token is not wop1:// base64url JSON of the right shape',
  INVITE_EXPIRED: 'invite token has expired',
  INVITE_BAD_SIGNATURE: 'invite token signature does not verify against its issuer',
  INVITE_WILDCARD: 'invite token names the * session, which is never honoured',
  // State on disk
  STORE_INSECURE_MODE: 'state file or directory is readable or writable by others',
  STORE_CORRUPT: 'state file does not parse',
  STORE_WRONG_TYPE: 'state path is not the kind expected (a directory where a file belongs, a socket, a FIFO…)',
  STORE_MISSING: 'a required state file does not exist yet (identity.json before init)',
  STORE_EXISTS: 'state file already exists and is only replaced when asked to (--force)',
  // Narrowed Docker proxy (DESIGN.md "The narrowed Docker proxy"; DOCKER-HAZARDS.md)
  PROXY_MALFORMED_HTTP: 'request is not well-formed HTTP/1.1; the parser refused it before any routing',
  PROXY_TARGET_FORM: 'request target is not an origin-form path (absolute-form, *, CONNECT)',
  PROXY_PATH_ENCODED: 'path or query has %, \\ or a character outside the literal set (the engine routes on the decoded path)',
  PROXY_PATH_SEGMENT: 'path has an empty, . or .. segment or a trailing / (the engine redirects them)',
  PROXY_API_VERSION: 'path does not start with the one pinned API version /v1.41',
  PROXY_ROUTE_DENIED: 'no allowed endpoint has this path',
  PROXY_METHOD_DENIED: 'the path has the shape of an allowed endpoint but not with this method',
  PROXY_QUERY_DENIED: 'query string is not one the endpoint allows',
  PROXY_NOT_OWNED: 'container was not created through this proxy (full ID required)',
  PROXY_CONTAINER_LIMIT: 'this proxy already holds its maximum number of containers',
  PROXY_UPGRADE_DENIED: 'connection upgrade on an endpoint other than attach, or to a protocol other than tcp',
  PROXY_UPGRADE_REQUIRED: 'attach must be a connection upgrade',
  PROXY_UPGRADE_SMUGGLED: 'bytes followed the upgrade request headers (a pipelined request riding in head)',
  PROXY_CONTENT_TYPE: 'body is not declared application/json',
  PROXY_BODY_TOO_LARGE: 'body exceeds the 256 KiB cap',
  PROXY_BODY_NOT_EMPTY: 'endpoint takes no body but one was sent',
  PROXY_BODY_NOT_JSON: 'body is not one valid JSON value in UTF-8',
  PROXY_BODY_TRAILING: 'body has content after its JSON value (the engine ignores it)',
  PROXY_BODY_TOO_DEEP: 'body nests deeper than a create body ever needs',
  PROXY_DUPLICATE_KEY: 'an object repeats a key (the engine merges duplicates, last wins)',
  PROXY_KEY_CASE_COLLISION: 'an object has keys differing only in case (the engine matches keys case-insensitively)',
  PROXY_ESCAPED_KEY: 'a key uses a \\ escape or a character outside printable ASCII (the engine decodes and case-folds them)',
  PROXY_FIELD_UNKNOWN: 'create body has a field the sandbox policy does not know (fail closed)',
  PROXY_FIELD_FORBIDDEN: 'create body has a field that opens a hole in the sandbox',
  PROXY_FIELD_VALUE: 'an allowed create field has the wrong type or a value outside its bounds',
  PROXY_IMAGE_NOT_PINNED: 'image is not the pinned image ID',
  PROXY_PRIVILEGED: 'create asks for a privileged container',
  PROXY_MOUNT: 'create asks for binds, mounts, volumes, devices or a tmpfs other than a bounded /tmp',
  PROXY_CAPABILITIES: 'CapDrop is not exactly ["ALL"], or capabilities are added',
  PROXY_NAMESPACE: 'network is not "none", or a namespace is shared with the host or another container',
  PROXY_SECURITY_OPT: 'SecurityOpt is not exactly no-new-privileges plus the pinned seccomp profile',
  PROXY_LIMITS: 'pids, memory (= memory-swap), CPU or /tmp size is missing or above policy',
  PROXY_ROOTFS_WRITABLE: 'ReadonlyRootfs is not true',
  PROXY_USER_ROOT: 'User is missing, root, or not a numeric non-zero uid[:gid]',
  PROXY_LABEL: 'the sandbox label is missing, or labels fall outside the policy',
  PROXY_ENGINE_UNREACHABLE: 'the engine socket did not answer (broken infrastructure, not a refusal of the request)',
  // Sandbox image pin and the docker-proxy role (DESIGN.md "The sandbox": started by image ID only)
  PIN_NONE: 'sandbox.image is empty: no sandbox image is pinned, so no sandbox may run',
  PIN_IMAGE_MISSING: 'the image to pin, or the pinned image ID, does not exist on the engine',
  PIN_SHIPPED_POLICY: 'the policy directory is the shipped defaults; a pin belongs in the operator\'s own policy directory',
  // WOPR bridge (WOPR-API.md; DESIGN.md "The path of one inbound message", last two steps)
  WOPR_TOKEN_FILE: 'WOPR token file is missing, unreadable, not a regular file, readable by others, or not 64 hex characters',
  WOPR_UNAUTHORIZED: 'WOPR answered 401: no bearer token, or not the token WOPR holds',
  WOPR_RATE_LIMITED: 'WOPR answered 429: the 60 requests/min budget of this token is spent; retry after Retry-After',
  WOPR_SERVER_ERROR: 'WOPR (or the relay, when busy) answered 5xx',
  WOPR_UNREACHABLE: 'WOPR socket missing, connection refused, or the connection closed before a full answer',
  WOPR_TIMEOUT: 'WOPR did not answer within the timeout (a log may or may not have been stored)',
  WOPR_BAD_SESSION: 'session name is not WOPR-safe (^[a-zA-Z0-9._-]+$, not ., no ..)',
  WOPR_EMPTY_MESSAGE: 'WOPR refuses to log an empty message',
  WOPR_BAD_RESPONSE: 'WOPR answered with a status or body WOPR-API.md does not describe',
  WOPR_OUTBOX_FULL: 'the outbox holds its maximum entries or bytes; the entry was not queued',
  WOPR_ENTRY_TOO_LARGE: 'the entry alone is larger than the outbox accepts for one entry',
  WOPR_RELAY_DENIED: 'the relay forwards only the WOPR client\'s own requests: health, ready, and log or conversation of a friend session',
  WOPR_RELAY_BODY_TOO_LARGE: 'request body exceeds the relay cap',
  WOPR_RELAY_BUSY: 'the relay is at its connection limit',
  // Scheduled key rotation (issue 5 "Scheduled key rotation"; src/rotation/schedule.ts)
  ROTATION_FAILED: 'the scheduled key rotation failed; the current keys stay in use until the next slot or `wopr-p2p rotate-keys`',
  ROTATION_OVERLAP: 'a rotation slot came while the previous rotation was still running; that slot was skipped',
  ROTATION_MISSED: 'a rotation slot was reached too late (host suspended or clock jumped); it is not replayed, the next slot runs',
  // Policy files (DESIGN.md "Configuration"): each names file:line:column and the key path
  POLICY_UNREADABLE: 'a policy file cannot be read (missing when named explicitly, not a regular file, no permission)',
  POLICY_RESOURCE_LIMIT: 'policy file is over the loader budget: larger than 1 MiB, nested too deep, or an alias bomb',
  POLICY_SYNTAX: 'policy file is not valid UTF-8 YAML (one document, resolvable tags and aliases)',
  POLICY_EMPTY: 'policy file holds no document (empty or only comments); delete it to get the defaults',
  POLICY_NOT_MAPPING: 'policy file top level is not a mapping of sections',
  POLICY_DUPLICATE_KEY: 'a mapping repeats a key, a list repeats an entry, or two policy files define the same section',
  POLICY_UNKNOWN_KEY: 'key is not part of the policy schema (typo, wrong case, wrong section)',
  POLICY_FORBIDDEN_KEY: 'key names something policy can never set (sandbox network, mounts, capabilities; trust above untrusted; prototype keys)',
  POLICY_WRONG_TYPE: 'value has the wrong type (text for a number, a list for a mapping, a fraction for a whole number…)',
  POLICY_BAD_VALUE: 'value has the right type but not an accepted form (cron expression, URL, image ID, host:port, name…)',
  POLICY_OUT_OF_RANGE: 'number outside the range this key allows (operational bounds, not the contract)',
  POLICY_EXCEEDS_CONTRACT: 'value is looser than SECURITY.md allows (rate above untrusted, payload, freshness, grace, sandbox limits, inject by default)',
  // Sandbox runner: the stdio RPC inside the sandbox container (DESIGN.md "Capabilities → what the sandbox job does")
  RUNNER_LINE_TOO_LONG: 'an RPC line from the sidecar exceeds the runner line cap before its newline',
  RUNNER_NOT_JSON: 'an RPC line is not valid UTF-8 JSON',
  RUNNER_BAD_MESSAGE: 'an RPC message has the wrong type, a missing or extra field, or a value out of range',
  RUNNER_OUT_OF_TURN: 'an RPC message arrived out of turn (a second job, or a model-result for another request id)',
  RUNNER_EOF: 'stdin closed before the job or the awaited model reply arrived',
  RUNNER_STEP_LIMIT: 'the agent turn spent its model-call budget without a final answer',
  RUNNER_INTERNAL: 'the runner failed unexpectedly (a bug or a broken container)',
  // Sidecar sandbox handler (DESIGN.md "The sandbox"): one container per admitted log/inject
  SANDBOX_NO_IMAGE: 'no sandbox image is pinned (sandbox.image is empty); log and inject are refused until `wopr-p2p sandbox pin`',
  SANDBOX_BUSY: 'the sandbox queue for this session or in total is full; try again later',
  SANDBOX_TIMEOUT: 'the sandbox ran past its wall-clock limit and was killed',
  SANDBOX_OOM: 'the sandbox hit its memory limit and a process in it was OOM-killed',
  SANDBOX_PIDS_LIMIT: 'the sandbox runner could not create a process or thread (the pids limit was reached)',
  SANDBOX_CRASHED: 'the sandbox runner exited without an answer',
  SANDBOX_OUTPUT_TOO_LARGE: 'the sandbox wrote more than its output cap',
  SANDBOX_BAD_OUTPUT: 'the sandbox wrote a line that is not a runner protocol message, or one out of turn',
  SANDBOX_ENGINE: 'the Docker proxy or engine refused or failed a container call',
  SANDBOX_CLOSED: 'the sandbox handler is shutting down',
  // Model gateway (DESIGN.md "Capabilities → what the sandbox job does": inject model calls)
  MODEL_NOT_CONFIGURED: 'no model endpoint is configured: inject is refused, log still works',
  MODEL_KEY_FILE: 'the model API key file is missing, unreadable, not a regular file, too large or empty',
  MODEL_TIMEOUT: 'the model endpoint did not answer within model.requestTimeoutSeconds',
  MODEL_UNREACHABLE: 'the model endpoint could not be reached',
  MODEL_HTTP_ERROR: 'the model endpoint answered with a non-2xx status',
  MODEL_BAD_RESPONSE: 'the model endpoint answered with a body that is not a chat completion this gateway accepts',
  MODEL_BAD_REQUEST: 'the sandbox sent a model request the gateway does not forward',
  MODEL_BUDGET_EXHAUSTED: 'this peer spent its model token budget for the hour or the day',
  MODEL_STEP_LIMIT: 'the turn asked for more model calls than model.maxStepsPerTurn',
  // Swarm listener and client (DESIGN.md "Bounded everything"): SWARM_ codes count what an inbound
  // connection did; SEND_ codes are outbound outcomes and discarded replies.
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
  // Sidecar daemon: control operations and the recursion guard
  SIDECAR_UNKNOWN_PEER: 'no friend or grantee matches this name, short id or key',
  SIDECAR_AMBIGUOUS_PEER: 'more than one friend or grantee matches this name or short id; use the full key',
  SIDECAR_RECURSION: 'an outbound inject was started while a friend\'s inject is being handled (recursion guard)',
  SIDECAR_PEER_REFUSED: 'the peer answered with a signed reject',
  SIDECAR_NO_NAME: 'this sidecar has no agent name, which friend lines need',
} as const

export type Reason = keyof typeof REASONS

/** The swarm layer's own codes: listener events and outbound send outcomes. */
export type SwarmReason = Extract<Reason, `SWARM_${string}` | `SEND_${string}`>

/** One counter per reason (and per ACCEPTED_ kind), as the gate, listener and client keep them. */
export function bump(counters: Map<string, number>, key: string): void {
  counters.set(key, (counters.get(key) ?? 0) + 1)
}

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
