// What an operator can ask a running sidecar (DESIGN.md "Operator surface"): each CLI verb,
// and later each A2A tool, is one method here. Results are plain JSON values for the control
// socket; refusals are WoprP2PErrors carrying the reason code.

import { matchesAutoAccept, parseRule } from '../friends/auto-accept.ts'
import { acceptFriend, completeFriend, requestFriend, type Made } from '../friends/friendship.ts'
import { grant, issueInvite, removeFriend, revoke, type Capability, type PeerState } from '../friends/model.ts'
import { decodeKey } from '../crypto/der.ts'
import { fingerprintOf, shortIdOf, topicOf } from '../identity/ids.ts'
import { REASONS, WoprP2PError, type Verdict } from '../reasons.ts'
import type { SendResult } from '../swarm/client.ts'
import { friendSessionName, parseFriendRequest } from '../wire/friend-lines.ts'
import { createInvite, parseInvite } from '../wire/invite.ts'
import type { RotationReason } from '../wire/rotation.ts'
import type { OutboxStatus } from '../wopr/outbox.ts'
import type { RotationScheduleStatus } from '../rotation/schedule.ts'
import type { SandboxSlotStatus } from './sandbox-slot.ts'
import { knownPeers, resolvePeer, type KnownPeerRef } from './peer-query.ts'
import type { Sidecar } from './sidecar.ts'
import type { TopicView } from './served-topics.ts'

export interface SidecarStatus {
  name: string | null
  shortId: string
  fingerprint: string
  signPub: string
  /** The session a friend files us under on its side, if it made friends with this name and key. */
  ourSessionAtFriends: string | null
  topics: TopicView[]
  /** Open inbound connections, and the peers (short ids, with the friend name if any) that proved their key on one. */
  connections: { inbound: number; peers: { shortId: string; name: string | null }[] }
  friends: number
  grantees: number
  handler: 'sandbox' | 'none'
  /** Accepted (ACCEPTED_*) and refused messages by reason code, over gates, listeners and the client. */
  counters: Record<string, number>
  pendingNotices: { oldShortId: string; peer: string; graceUntil: number; nextAt: number | null }[]
  outbox: OutboxStatus | null
  sandbox: SandboxSlotStatus | null
  rotationSchedule: RotationScheduleStatus | null
}

export interface FriendView {
  name: string | null
  shortId: string
  fingerprint: string
  signPub: string
  session: string | null
  grants: Record<string, Capability[]>
}

export type SendOutcome = { reply: 'ack' } | { reply: 'response'; text: string }

const DEFAULT_INVITE_TTL_MS = 24 * 3_600_000

export class Operations {
  constructor(private readonly s: Sidecar) {}

  status(): SidecarStatus {
    const { identity: id, live, name } = this.s
    const counters = this.s.topics.counters()
    for (const [k, v] of this.s.client.counters) counters.set(k, (counters.get(k) ?? 0) + v)
    return {
      name: name ?? null,
      shortId: id.shortId,
      fingerprint: fingerprintOf(id.signPub),
      signPub: id.signPub,
      ourSessionAtFriends: name === undefined ? null : friendSessionName(name, id.signPub),
      topics: this.s.topics.view(id),
      connections: { inbound: this.s.topics.inboundConnections, peers: this.s.topics.connectedPeers().map((key) => ({ shortId: shortIdOf(key), name: this.s.friendOf(key)?.name ?? null })) },
      friends: live.value.friends.friends.length,
      grantees: Object.keys(live.value.access.grants).length,
      handler: this.s.handlerConfigured ? 'sandbox' : 'none',
      counters: Object.fromEntries([...counters].sort(([a], [b]) => a.localeCompare(b))),
      pendingNotices: this.s.pendingNotices().map((p) => ({ oldShortId: shortIdOf(p.oldSignPub), peer: shortIdOf(p.peer), graceUntil: p.graceUntil, nextAt: p.nextAt })),
      outbox: this.s.options.outbox?.status() ?? null,
      sandbox: this.s.options.reports?.sandbox?.() ?? null,
      rotationSchedule: this.s.options.reports?.rotation?.() ?? null,
    }
  }

  friendRequest(theirName: string): { line: string } {
    const ourName = this.ourName()
    let line = ''
    this.s.live.update((state) => {
      const made = requestFriend(state, this.s.identity, { ourName, theirName, now: this.s.now() })
      line = made.line
      return made.state
    })
    return { line }
  }

  /** `auto`: accept only if an auto-accept rule (ours or the policy's) names the requester. */
  friendAccept(line: string, auto = false): FriendMade & { line: string } {
    const ourName = this.ourName()
    if (auto) {
      const request = orThrow(parseFriendRequest(line))
      if (!matchesAutoAccept(this.autoAcceptRules(), request.from)) throw refusal('FRIEND_NOT_AUTO_ACCEPTED', request.from)
    }
    const made = orThrow(acceptFriend(this.s.live.value, this.s.identity, { ourName, line, now: this.s.now() }))
    this.s.live.update(() => this.withDefaultCapabilities(made))
    this.s.log.info({ peer: made.shortId, auto }, 'friend-accepted')
    return { ...madeView(made), line: made.line }
  }

  friendComplete(line: string): FriendMade {
    const made = orThrow(completeFriend(this.s.live.value, { ourName: this.ourName(), line, now: this.s.now() }))
    this.s.live.update(() => this.withDefaultCapabilities(made))
    this.s.log.info({ peer: made.shortId }, 'friend-completed')
    return madeView(made)
  }

  /** A new friend holds `message` unless policy starts friends with nothing (friends.defaultCapabilities: []). */
  private withDefaultCapabilities(made: Made): PeerState {
    if (this.s.policy.friends.defaultCapabilities.includes('message')) return made.state
    return revoke(made.state, made.friend.signPub, 'message')
  }

  friendList(): FriendView[] {
    const state = this.s.live.value
    return knownPeers(state).map((p) => ({
      name: p.name ?? null,
      shortId: shortIdOf(p.signPub),
      fingerprint: fingerprintOf(p.signPub),
      signPub: p.signPub,
      session: p.session ?? null,
      grants: { ...state.access.grants[p.signPub] },
    }))
  }

  friendRemove(peer: string): { removed: string } {
    const ref = this.resolve(peer)
    this.s.live.update((state) => removeFriend(state, ref.signPub))
    this.s.log.info({ peer: shortIdOf(ref.signPub) }, 'friend-removed')
    return { removed: shortIdOf(ref.signPub) }
  }

  /** On the friend's own session unless `session` names another. */
  grant(peer: string, cap: Capability, session?: string): { peer: string; session: string; grants: Capability[] } {
    const ref = this.resolve(peer)
    const on = session ?? ref.session
    if (on === undefined) throw new WoprP2PError('USAGE', `${peer} is not a friend, so it has no own session`, 'name the session with --session')
    const next = this.s.live.update((state) => grant(state, ref.signPub, on, cap))
    this.s.log.info({ peer: shortIdOf(ref.signPub), cap }, 'granted')
    return { peer: shortIdOf(ref.signPub), session: on, grants: next.access.grants[ref.signPub]?.[on] ?? [] }
  }

  /** Takes effect on the next message, also on open connections: the gate reads live state per message. */
  revoke(peer: string, cap?: Capability): { peer: string; grants: Record<string, Capability[]> } {
    const ref = this.resolve(peer)
    const next = this.s.live.update((state) => revoke(state, ref.signPub, cap))
    this.s.log.info({ peer: shortIdOf(ref.signPub), cap: cap ?? 'all' }, 'revoked')
    return { peer: shortIdOf(ref.signPub), grants: { ...next.access.grants[ref.signPub] } }
  }

  autoAcceptAdd(rule: string): { rules: string[] } {
    if (!parseRule(rule)) throw new WoprP2PError('USAGE', `"${rule}" is not an auto-accept rule`, 'use a name, *, or names joined by | without spaces')
    const next = this.s.live.update((state) => (state.friends.autoAccept.includes(rule) ? state : withRules(state, [...state.friends.autoAccept, rule])))
    return { rules: next.friends.autoAccept }
  }

  autoAcceptRemove(rule: string): { rules: string[] } {
    const next = this.s.live.update((state) => (state.friends.autoAccept.includes(rule) ? withRules(state, state.friends.autoAccept.filter((r) => r !== rule)) : state))
    return { rules: next.friends.autoAccept }
  }

  autoAcceptList(): { stored: string[]; policy: string[] } {
    return { stored: [...this.s.live.value.friends.autoAccept], policy: [...this.s.policy.friends.autoAccept] }
  }

  inviteCreate(theirPubkey: string, session: string, ttlMs = DEFAULT_INVITE_TTL_MS): { token: string; expiresAt: number } {
    if (!decodeKey('ed25519Spki', theirPubkey)) throw new WoprP2PError('USAGE', 'their public key is not a base64 Ed25519 SPKI key', 'ask them for the signing key `wopr-p2p id` shows')
    if (session === '' || session.includes('*')) throw new WoprP2PError('USAGE', 'an invite names one session, never *', 'pass --session <name>')
    const expiresAt = this.s.now() + ttlMs
    let token: string
    try {
      token = createInvite(this.s.identity, theirPubkey, [session], { expiresAt })
    } catch (err) {
      throw new WoprP2PError('USAGE', `cannot make that invite: ${(err as Error).message}`)
    }
    const nonce = orThrow(parseInvite(token)).nonce
    this.s.live.update((state) => issueInvite(state, { nonce, sub: theirPubkey, sessions: [session], exp: expiresAt }))
    this.s.log.info({ peer: shortIdOf(theirPubkey), expiresAt }, 'invite-created')
    return { token, expiresAt }
  }

  async inviteClaim(token: string): Promise<{ issuer: string; sessions: string[] }> {
    const invite = orThrow(parseInvite(token))
    if (invite.sub !== this.s.identity.signPub) throw new WoprP2PError('USAGE', 'this invite was made for another key', 'ask the issuer for an invite to the key `wopr-p2p id` shows')
    const result = await this.s.client.claim({ signPub: invite.iss }, token)
    sent(result, shortIdOf(invite.iss))
    return { issuer: invite.iss, sessions: invite.ses }
  }

  async log(peer: string, session: string, text: string): Promise<SendOutcome> {
    const ref = this.resolve(peer)
    return sent(await this.s.client.log(address(ref), session, text), peer)
  }

  async inject(peer: string, session: string, text: string): Promise<SendOutcome> {
    // A friend's inject being handled must not fan out into injects to other agents.
    if (this.s.guard.handlingInjectOf() !== null) throw refusal('SIDECAR_RECURSION')
    const ref = this.resolve(peer)
    return sent(await this.s.client.inject(address(ref), session, text), peer)
  }

  async rotateKeys(reason: RotationReason): Promise<{ oldShortId: string; shortId: string; fingerprint: string; graceUntil: number; notified: number; pending: string[] }> {
    const { old, graceUntil, peers } = await this.s.rotate(reason)
    const pending = this.s.pendingNotices().filter((p) => p.oldSignPub === old.signPub)
    const id = this.s.identity
    return {
      oldShortId: old.shortId,
      shortId: id.shortId,
      fingerprint: fingerprintOf(id.signPub),
      graceUntil,
      notified: peers - pending.length,
      pending: pending.map((p) => shortIdOf(p.peer)),
    }
  }

  private ourName(): string {
    const name = this.s.name
    if (name === undefined) throw new WoprP2PError('SIDECAR_NO_NAME', REASONS.SIDECAR_NO_NAME, 'start the sidecar with --name <agent name> or WOPR_P2P_NAME')
    return name
  }

  private autoAcceptRules(): string[] {
    return [...new Set([...this.s.live.value.friends.autoAccept, ...this.s.policy.friends.autoAccept])]
  }

  private resolve(peer: string): KnownPeerRef {
    return orThrow(resolvePeer(this.s.live.value, peer))
  }
}

export interface FriendMade {
  name: string
  shortId: string
  fingerprint: string
  session: string
  topic: string
}

function madeView(made: Made): FriendMade {
  const f = made.friend
  return { name: f.name, shortId: made.shortId, fingerprint: made.fingerprint, session: f.session, topic: topicOf(f.signPub).toString('hex') }
}

function withRules(state: PeerState, autoAccept: string[]): PeerState {
  return { ...state, friends: { ...state.friends, autoAccept } }
}

function address(ref: KnownPeerRef): { signPub: string; encryptPub?: string } {
  return ref.encryptPub === undefined ? { signPub: ref.signPub } : { signPub: ref.signPub, encryptPub: ref.encryptPub }
}

/** The peer's answer, or an error naming why there is none (its own signed reason, made safe to print). */
function sent(result: SendResult, peer: string): SendOutcome {
  if (result.ok) return result.reply === 'response' ? { reply: 'response', text: result.text } : { reply: 'ack' }
  if (result.reply === 'reject') throw new WoprP2PError('SIDECAR_PEER_REFUSED', `${peer} refused: ${printable(result.reason)}`)
  throw new WoprP2PError(result.error, `${peer}: ${REASONS[result.error]}`, result.error === 'SEND_UNREACHABLE' ? 'is the peer running, and does it know our current key?' : undefined)
}

/** Peer text for a terminal: control characters (escape sequences) become U+FFFD. */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, '\uFFFD')
}

function orThrow<T>(v: Verdict<T>): T {
  if (v.ok) return v.value
  throw refusal(v.reason, v.detail)
}

function refusal(reason: keyof typeof REASONS, detail?: string): WoprP2PError {
  return new WoprP2PError(reason, detail === undefined ? REASONS[reason] : `${REASONS[reason]} (${printable(detail)})`)
}
