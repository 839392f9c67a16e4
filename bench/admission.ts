// Admission throughput (issue: foundation, `npm run bench`), measured in one run:
//  (a) raw ceiling: Ed25519 verify + X25519 + AES-256-GCM open of a 1 KB payload,
//      straight on sodium-native / node:crypto;
//  (b) the gate admitting valid 1 KB v2 injects (target ≥ 0.7 × a);
//  (c) the gate dropping a flood from unknown senders (target ≥ 20 × a);
//  and the heap of 100,000 tracked nonces (≤ 32 MB).

import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AdmissionGate, DEFAULT_GATE_POLICY } from '../src/admission/gate.ts'
import { RateLimiter } from '../src/admission/rate-limit.ts'
import { P2P_ACTION_LIMITS } from '../src/admission/trust.ts'
import { decodeKey, encodeKey } from '../src/crypto/der.ts'
import { verify } from '../src/crypto/ed25519.ts'
import { deriveKey, open } from '../src/crypto/envelope.ts'
import { generateEncryptionKeyPair } from '../src/crypto/x25519.ts'
import { PeerDirectory } from '../src/friends/directory.ts'
import { addFriend, emptyPeerState, grant, type PeerState } from '../src/friends/model.ts'
import { createIdentityRecord, loadIdentity, type Identity } from '../src/identity/keys.ts'
import { ReplayStore } from '../src/store/replay-store.ts'
import { buildInject } from '../src/wire/build.ts'
import { sealForListener } from '../src/wire/payload.ts'
import { signedBody } from '../src/wire/signed-json.ts'
import { absolute, fmt, header, opsPerSecond, verdict } from './_shared.ts'

const PAYLOAD_TEXT = 'x'.repeat(1024)
const PEERS = 500
const PER_PEER = 20 // stays under the 30/min untrusted limit: the bench measures the gate, not the limiter
const now = Date.now()

header('admission gate')
const me = loadIdentity(createIdentityRecord(now))
const friends: Identity[] = Array.from({ length: PEERS }, () => loadIdentity(createIdentityRecord(now)))
let state: PeerState = emptyPeerState()
for (const f of friends) {
  state = addFriend(state, { name: f.shortId, signPub: f.signPub, encryptPub: f.encryptPub, session: `s-${f.shortId}`, addedAt: now })
  state = grant(state, f.signPub, `s-${f.shortId}`, 'inject')
}
const conn = generateEncryptionKeyPair()
const connPub = encodeKey('x25519Spki', conn.publicKey)

function inject(from: Identity, session: string): string {
  const sealed = sealForListener(PAYLOAD_TEXT, connPub)!
  const fields = { v: 2 as const, ephemeralPub: sealed.ephemeralPub, encryptPub: from.encryptPub, session, payload: sealed.payload, requestId: randomBytes(16).toString('hex') }
  return buildInject(from, fields, { ts: now })
}

const dir = mkdtempSync(join(tmpdir(), 'wopr-bench-'))
const replay = ReplayStore.open(join(dir, 'replay.journal'), { now })
const directory = new PeerDirectory(state)
const gate = new AdmissionGate({
  self: { signPub: me.signPub, encryptPrivateRaw: me.encryptPrivateRaw },
  directory: () => directory,
  issuedInvite: () => undefined,
  replay,
  limiter: new RateLimiter(P2P_ACTION_LIMITS),
  policy: DEFAULT_GATE_POLICY,
  now: () => now,
})

// Valid injects, each unique (distinct nonce), spread over many friends.
const valid: string[] = []
for (let round = 0; round < PER_PEER; round++) for (const f of friends) valid.push(inject(f, `s-${f.shortId}`))

// (a) the raw ceiling: the same messages' cryptography alone, on pre-decoded inputs.
const keyOf = new Map(friends.map((f) => [f.signPub, f.signPublicRaw]))
const decoded = valid.map((line) => {
  const m = JSON.parse(line)
  return { body: Buffer.from(signedBody(m), 'utf8'), sig: Buffer.from(m.sig, 'base64'), key: keyOf.get(m.from)!, eph: decodeKey('x25519Spki', m.ephemeralPub)!, payload: m.payload as string }
})
let start = process.hrtime.bigint()
for (const d of decoded) {
  if (!verify(d.sig, d.body, d.key)) throw new Error('verify failed')
  if (open(d.payload, deriveKey(conn.privateKey, d.eph)!) === null) throw new Error('open failed')
}
const raw = (decoded.length / Number(process.hrtime.bigint() - start)) * 1e9
console.log(`(a) raw Ed25519 verify + X25519 + AES-256-GCM open of the same ${decoded.length} 1 KB messages: ${fmt(raw)}`)

// (b) the gate on those lines, from the raw text, with the real replay journal.
start = process.hrtime.bigint()
for (const line of valid) {
  const v = gate.admit(line, { ephemeralPrivateKey: conn.privateKey })
  if (!v.ok) throw new Error(`valid inject refused: ${v.reason}`)
}
const gateValid = (valid.length / Number(process.hrtime.bigint() - start)) * 1e9
console.log(`(b) gate, valid 1 KB v2 injects (${valid.length} from ${PEERS} friends, real replay journal): ${fmt(gateValid)}`)

// (c) a flood of injects from keys nobody granted anything.
const strangers = Array.from({ length: 64 }, () => loadIdentity(createIdentityRecord(now)))
const junk = strangers.map((s) => inject(s, 'main'))
const flood = opsPerSecond((i) => {
  const v = gate.admit(junk[i % junk.length]!, { ephemeralPrivateKey: conn.privateKey })
  if (v.ok || v.reason !== 'ADMIT_UNKNOWN_SENDER') throw new Error('stranger not dropped')
})
console.log(`(c) gate, 1 KB injects from unknown senders: ${fmt(flood)}`)

verdict('(b) / (a)', gateValid / raw, 0.7)
verdict('(c) / (a)', flood / raw, 20)
replay.close()

// The replay store in a clean child (heap after forced GC, check() cost, reopen time).
const measured = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', new URL('./replay-store.ts', import.meta.url).pathname, dir], { encoding: 'utf8' })
if (measured.status !== 0) throw new Error(`replay store measurement failed: ${measured.stderr}`)
const m = JSON.parse(measured.stdout)
console.log(`replay store: check() fresh mean ${m.freshMeanUs.toFixed(2)} µs (p99 ${m.freshP99Us.toFixed(2)} µs), replayed ${m.replayMeanUs.toFixed(2)} µs; reopen of 100,000 entries ${m.reopenMs.toFixed(0)} ms`)
absolute('replay store heap, 100,000 nonces', m.heapBytes / 2 ** 20, 32, 'MiB')
rmSync(dir, { recursive: true, force: true })
