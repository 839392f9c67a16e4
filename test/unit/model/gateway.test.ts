// The gateway against the model double (its neighbour): request shape, key, tool calls,
// budget, timeout, HTTP errors, unreachable endpoint, missing key file.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TokenBudget } from '../../../src/model/budget.ts'
import { createModelGateway, type ModelPolicy } from '../../../src/model/gateway.ts'
import { freezePolicy, policySchema } from '../../../src/policy/schema.ts'
import { startModelDouble } from '../../doubles/model-double.ts'

const KEY = 'sk-unit-abcdef'
const dir = mkdtempSync(join(tmpdir(), 'wopr-gw-'))
const keyFile = join(dir, 'key')
writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 })

function modelPolicy(endpoint: string, extra: Record<string, unknown> = {}): ModelPolicy {
  return freezePolicy(policySchema.parse({ model: { endpoint, model: 'double-1', apiKeyFile: keyFile, ...extra } })).model
}

test('no endpoint: no gateway', async () => {
  assert.is(await createModelGateway(freezePolicy(policySchema.parse({})).model), null)
})

test('sends our model, our one tool and the key; passes tool calls back', async () => {
  const double = await startModelDouble({ apiKey: KEY })
  try {
    const gw = (await createModelGateway(modelPolicy(double.url)))!
    const r = await gw.complete('peer', [{ role: 'user', content: 'run: ls' }])
    assert.ok(r.ok)
    assert.equal(r.ok && r.value.tool_calls?.[0]?.function, { name: 'shell', arguments: '{"command":"ls"}' })
    const sent = double.requests[0]!
    assert.is(sent.authorization, `Bearer ${KEY}`)
    assert.is(sent.model, 'double-1')
    assert.equal((sent.tools as Array<{ function: { name: string } }>).map((t) => t.function.name), ['shell'])
    assert.ok(gw.used('peer').hour > 0)
  } finally {
    await double.close()
  }
})

test('a wrong key is an HTTP error, and the key file must exist', async () => {
  const double = await startModelDouble({ apiKey: 'another key' })
  try {
    const gw = (await createModelGateway(modelPolicy(double.url)))!
    assert.equal(await gw.complete('peer', [{ role: 'user', content: 'hi' }]), { ok: false, reason: 'MODEL_HTTP_ERROR', detail: 'status 401' })
  } finally {
    await double.close()
  }
  const missing = await createModelGateway(modelPolicy('http://127.0.0.1:9/v1', { apiKeyFile: join(dir, 'nope') })).catch((e: { code: string }) => e.code)
  assert.is(missing, 'MODEL_KEY_FILE')
})

test('the per-peer budget refuses further calls once spent', async () => {
  const double = await startModelDouble({ apiKey: KEY })
  try {
    const gw = (await createModelGateway(modelPolicy(double.url, { tokensPerPeer: { perHour: 5, perDay: 100 } })))!
    assert.ok((await gw.complete('peer', [{ role: 'user', content: 'a long enough question' }])).ok)
    const r = await gw.complete('peer', [{ role: 'user', content: 'again' }])
    assert.is(!r.ok && r.reason, 'MODEL_BUDGET_EXHAUSTED')
    assert.is(double.requests.length, 1)
    assert.ok((await gw.complete('someone else', [{ role: 'user', content: 'x' }])).ok)
  } finally {
    await double.close()
  }
})

test('a gateway rebuilt on a policy reload keeps what each peer spent, under the new limits', async () => {
  const double = await startModelDouble({ apiKey: KEY })
  try {
    const budget = new TokenBudget({ perHour: 5, perDay: 100 })
    const first = (await createModelGateway(modelPolicy(double.url, { tokensPerPeer: { perHour: 5, perDay: 100 } }), { budget }))!
    assert.ok((await first.complete('peer', [{ role: 'user', content: 'a long enough question' }])).ok)
    const reloaded = (await createModelGateway(modelPolicy(double.url, { tokensPerPeer: { perHour: 6, perDay: 100 } }), { budget }))!
    const r = await reloaded.complete('peer', [{ role: 'user', content: 'again' }])
    assert.is(!r.ok && r.reason, 'MODEL_BUDGET_EXHAUSTED', 'the spend survived the reload')
    assert.equal(reloaded.used('peer'), first.used('peer'))
  } finally {
    await double.close()
  }
})

test('a slow endpoint times out; an absent one is unreachable', async () => {
  const double = await startModelDouble({ apiKey: KEY })
  double.delayMs = 3000
  try {
    const gw = (await createModelGateway(modelPolicy(double.url, { requestTimeoutSeconds: 1 })))!
    assert.is((await gw.complete('peer', [{ role: 'user', content: 'x' }]) as { reason?: string }).reason, 'MODEL_TIMEOUT')
  } finally {
    await double.close()
  }
  const gw = (await createModelGateway(modelPolicy(double.url)))!
  assert.is((await gw.complete('peer', [{ role: 'user', content: 'x' }]) as { reason?: string }).reason, 'MODEL_UNREACHABLE')
})

test.run()
