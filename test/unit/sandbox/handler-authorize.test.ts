// The handler asks for the peer's grants as they are now, at the job and again when the job
// leaves the queue: a revoke after admission reaches a queued job. No engine is needed to see
// a refused job never reach one (the socket here does not exist).

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Capability } from '../../../src/friends/model.ts'
import { freezePolicy, policySchema } from '../../../src/policy/schema.ts'
import { startSandboxHandler } from '../../../src/sandbox/handler.ts'
import type { HandledMessage } from '../../../src/swarm/listener.ts'

const SESSION = 'friend:p2p:alice(abcdef)'
const policy = freezePolicy(policySchema.parse({ sandbox: { image: `sha256:${'a'.repeat(64)}`, poolSize: 0 } }))

function log(caps: Capability[]): HandledMessage {
  const peer = { id: 'alice-key', encryptPub: 'unused', encryptPublicRaw: Buffer.alloc(32), sessions: new Map([[SESSION, new Set(caps)]]), previousGraceEnds: [] }
  return { kind: 'log', peer, session: SESSION, text: 'hi', version: 2 }
}

test('a peer revoked since admission is refused before any container is asked for', async () => {
  const seen: HandledMessage[] = []
  const handler = await startSandboxHandler({
    dockerSocket: '/nonexistent/docker.sock',
    policy,
    seccompProfile: '{}',
    stillAllowed: (a) => (seen.push(a), false),
  })
  try {
    const r = await handler.handle(log(['message']))
    assert.equal(r, { ok: false, reason: 'ADMIT_UNAUTHORIZED' })
    assert.is(seen.length, 1, 'the live check was asked')
    assert.equal(handler.status().counters, { ADMIT_UNAUTHORIZED: 1 })
  } finally {
    await handler.close()
  }
})

test('without a live check, the grants as admitted decide', async () => {
  const handler = await startSandboxHandler({ dockerSocket: '/nonexistent/docker.sock', policy, seccompProfile: '{}' })
  try {
    assert.equal(await handler.handle(log([])), { ok: false, reason: 'ADMIT_UNAUTHORIZED' })
  } finally {
    await handler.close()
  }
})

test.run()
