// The proxy attack corpus (test/corpus/proxy/) through the pure gate, no engine:
// each raw request is split as Node's parser would and judged by checkHead and
// checkBody (DESIGN.md "The narrowed Docker proxy"; DOCKER-HAZARDS.md). The engine
// tier replays the same files through the real server to the real engine.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkBody, checkHead, type GateContext } from '../../../src/docker-proxy/gate.ts'
import { REASONS, type Reason } from '../../../src/reasons.ts'
import { loadProxyCorpus, renderCase, seccompOpt, type Expectation } from '../../support/engine-proxy-corpus.ts'
import { splitRequests } from '../../support/engine-http.ts'
import { SECCOMP_TEXT, testPolicy } from '../../support/engine-fixtures.ts'

const policy = testPolicy(`sha256:${'ab'.repeat(32)}`)
const OWNED = 'c0'.repeat(32)
const subs = { IMAGE_ID: policy.imageId, SECCOMP_OPT: seccompOpt(SECCOMP_TEXT), OWNED_ID: OWNED, FOREIGN_ID: 'f0'.repeat(32) }
const ctx: GateContext = { policy, isOwned: (id) => id === OWNED }
const corpus = loadProxyCorpus()

/** Codes no single request can produce: they need proxy state or a broken engine (tested in test/engine/). */
const NOT_FROM_A_REQUEST: Reason[] = ['PROXY_CONTAINER_LIMIT', 'PROXY_ENGINE_UNREACHABLE']

function judge(raw: Buffer): Expectation {
  const requests = splitRequests(raw)
  if (requests === null) return 'PROXY_MALFORMED_HTTP'
  for (const r of requests) {
    const head = checkHead({ method: r.method, target: r.target, headers: r.headers, upgrade: r.upgrade, head: r.head }, ctx)
    if (!head.ok) return head.reason
    if (r.upgrade) return 'ok'
    const body = checkBody(head.value, r.body, policy)
    if (!body.ok) return body.reason
  }
  return 'ok'
}

test('the corpus has at least 40 attacks and some allowed requests', () => {
  assert.ok(corpus.filter((c) => c.expect !== 'ok').length >= 40)
  assert.ok(corpus.some((c) => c.expect === 'ok'))
})

test('every corpus request gets its expected verdict from the gate', () => {
  const wrong = corpus.flatMap((c) => {
    const got = judge(renderCase(c, subs))
    return got === c.expect ? [] : [`${c.file}: expected ${c.expect}, got ${got}`]
  })
  assert.equal(wrong, [])
})

test('every PROXY_ reason code is produced by at least one corpus case', () => {
  const expected = new Set(corpus.map((c) => c.expect))
  const missing = Object.keys(REASONS).filter((r) => r.startsWith('PROXY_') && !expected.has(r as Reason) && !NOT_FROM_A_REQUEST.includes(r as Reason))
  assert.equal(missing, [])
})

test('the corpus loader refuses unknown header keys and unknown codes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corpus-'))
  try {
    const url = new URL(`file://${dir}/`)
    writeFileSync(join(dir, '001-typo.http'), 'expcet: ok\ncomment: x\nsource: y\n\nGET / HTTP/1.1\r\n\r\n')
    assert.throws(() => loadProxyCorpus(url), /unknown header line/)
    writeFileSync(join(dir, '001-typo.http'), 'expect: PROXY_NO_SUCH_CODE\ncomment: x\nsource: y\n\nGET / HTTP/1.1\r\n\r\n')
    assert.throws(() => loadProxyCorpus(url), /unknown expectation/)
    writeFileSync(join(dir, '001-typo.http'), 'expect: ADMIT_REPLAY\ncomment: x\nsource: y\n\nGET / HTTP/1.1\r\n\r\n')
    assert.throws(() => loadProxyCorpus(url), /unknown expectation/)
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test.run()
