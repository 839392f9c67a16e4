// The route table's output (DESIGN.md "The narrowed Docker proxy"): the path sent
// to the engine is the literal path received, with the one pinned version, and a
// query rebuilt in canonical form. Refusals are exercised by the corpus.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { API_VERSION, matchRoute } from '../../../src/docker-proxy/routes.ts'
import { loadProxyCorpus, renderCase, seccompOpt } from '../../support/engine-proxy-corpus.ts'
import { splitRequests } from '../../support/engine-http.ts'
import { SECCOMP_TEXT } from '../../support/engine-fixtures.ts'

const ID = 'ab'.repeat(32)

test('queries are forwarded in one canonical spelling', () => {
  const pairs: [string, string, string][] = [
    ['DELETE', `/v1.41/containers/${ID}?v=1&force=true`, `/v1.41/containers/${ID}?force=1&v=1`],
    ['POST', `/v1.41/containers/${ID}/attach?stderr=true&stdout=true&stdin=true&stream=true`, `/v1.41/containers/${ID}/attach?stream=1&stdin=1&stdout=1&stderr=1`],
    ['POST', '/v1.41/containers/create?', '/v1.41/containers/create'],
    ['POST', `/v1.41/containers/${ID}/wait?condition=next-exit`, `/v1.41/containers/${ID}/wait?condition=next-exit`],
  ]
  for (const [method, target, forwarded] of pairs) {
    const r = matchRoute(method, target)
    assert.ok(r.ok, target)
    if (r.ok) assert.is(r.value.enginePath, forwarded)
  }
})

test('every allowed corpus request is forwarded to its own literal path', () => {
  const subs = { IMAGE_ID: `sha256:${'cd'.repeat(32)}`, SECCOMP_OPT: seccompOpt(SECCOMP_TEXT), OWNED_ID: ID, FOREIGN_ID: 'ef'.repeat(32) }
  const allowed = loadProxyCorpus().filter((c) => c.expect === 'ok')
  for (const c of allowed) {
    for (const req of splitRequests(renderCase(c, subs)) ?? []) {
      const r = matchRoute(req.method, req.target)
      assert.ok(r.ok, c.file)
      if (r.ok) {
        assert.ok(r.value.enginePath.startsWith(`/${API_VERSION}/`))
        assert.is(r.value.enginePath.split('?')[0], req.target.split('?')[0], c.file)
      }
    }
  }
})

test.run()
