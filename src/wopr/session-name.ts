// WOPR's session-name rule (WOPR-API.md "Sessions"), checked before anything is sent or
// queued so a bad name is refused here, not by WOPR after it sat in the outbox. The
// mapping from friend display names to such names is wire/friend-lines.ts woprSafeSessionName.

const WOPR_SESSION_NAME = /^[a-zA-Z0-9._-]+$/

/** True when WOPR accepts `name` as a session name: ^[a-zA-Z0-9._-]+$, not '.', no '..'. */
export function isWoprSessionName(name: unknown): name is string {
  return typeof name === 'string' && WOPR_SESSION_NAME.test(name) && name !== '.' && !name.includes('..')
}
