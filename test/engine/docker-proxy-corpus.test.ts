// Replays test/corpus/proxy/ byte for byte through the proxy to the real engine
// (DESIGN.md "The narrowed Docker proxy"; DOCKER-HAZARDS.md): every attack gets the
// proxy's own refusal with its expected reason and one audit line, and the engine
// is left exactly as it was; every allowed request reaches the engine.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type Docker from 'dockerode'
import { buildCreateBody, createThroughProxy, removeLabelled, SECCOMP_TEXT } from '../support/engine-fixtures.ts'
import { connectEngine, snapshotEngine, startTestProxy, type EngineEnv, type TestProxy } from '../support/engine-harness.ts'
import { exchangeRaw, readResponses } from '../support/engine-http.ts'
import { loadProxyCorpus, renderCase, seccompOpt, uses, type ProxyCase } from '../support/engine-proxy-corpus.ts'

const corpus = loadProxyCorpus()
const test = suite('proxy corpus against the real engine')

let env: EngineEnv
let px: TestProxy
let foreign: Docker.Container
let setupError: unknown

test.before(async () => {
  try {
    env = await connectEngine()
    px = await startTestProxy({ policy: env.policy })
    // Created straight on the engine, hardened and labelled like ours, but never through the proxy.
    foreign = await env.engine.createContainer(buildCreateBody(env.policy) as Docker.ContainerCreateOptions)
  } catch (e) {
    setupError = e
  }
})

test.after(async () => {
  if (env) await removeLabelled(env.engine)
  if (px) await px.close()
})

function reasonOf(body: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString())
    return typeof parsed === 'object' && parsed !== null && 'reason' in parsed && typeof parsed.reason === 'string' ? parsed.reason : undefined
  } catch {
    return undefined
  }
}

/** Run one case; the returned string says what went wrong, or is empty. */
async function replay(c: ProxyCase): Promise<string> {
  const owned = uses(c, 'OWNED_ID') ? (await createThroughProxy(px.docker, buildCreateBody(env.policy))).id : '0'.repeat(64)
  const subs = { IMAGE_ID: env.imageId, SECCOMP_OPT: seccompOpt(SECCOMP_TEXT), OWNED_ID: owned, FOREIGN_ID: foreign.id }
  const before = await snapshotEngine(env.engine)
  const auditBefore = px.audit.length
  const responses = readResponses(await exchangeRaw(px.socketPath, renderCase(c, subs)))
  const last = responses.at(-1)
  if (last === undefined) return 'no response'
  const reason = reasonOf(last.body)

  let problem = ''
  if (c.expect === 'ok') {
    if (last.status >= 400 || reason !== undefined) problem = `allowed request answered ${last.status} ${last.body.toString().slice(0, 200)}`
    // The snapshot has teeth: the allowed requests that act on the engine show up in it.
    else if (/-(create|start|remove)[-.]/.test(c.file) && (await snapshotEngine(env.engine)) === before) problem = 'the snapshot did not see an allowed change'
  } else {
    const status = c.expect === 'PROXY_MALFORMED_HTTP' ? 400 : 403
    // A HEAD answer has no body to carry the reason; the audit line still must.
    const bodyOk = reason === c.expect || (last.body.length === 0 && c.template.startsWith('HEAD '))
    if (last.status !== status || !bodyOk) problem = `expected ${status} ${c.expect}, got ${last.status} ${last.body.toString().slice(0, 200)}`
    else if ((await snapshotEngine(env.engine)) !== before) problem = 'the engine changed'
    else if (!px.audit.slice(auditBefore).some((e) => e.verdict === 'refuse' && e.reason === c.expect)) problem = 'no audit line with the reason'
  }
  const leftovers = await env.engine.listContainers({ all: true, filters: { label: [env.policy.label.key] } })
  // Ours are removed through the proxy, so its owned set stays true to the engine.
  const remover = (id: string) => (px.proxy.owned.has(id) ? px.docker : env.engine).getContainer(id)
  await Promise.all(leftovers.filter((l) => l.Id !== foreign.id).map((l) => remover(l.Id).remove({ force: true })))
  return problem
}

test('an engine is reachable and the test image is there', () => {
  if (setupError) throw setupError
})

test('every attack is refused by the proxy with its reason, and the engine is unchanged', async () => {
  if (setupError) throw setupError
  const problems: string[] = []
  for (const c of corpus.filter((x) => x.expect !== 'ok')) {
    const p = await replay(c)
    if (p) problems.push(`${c.file}: ${p}`)
  }
  assert.equal(problems, [])
})

test('every allowed request reaches the engine', async () => {
  if (setupError) throw setupError
  const problems: string[] = []
  for (const c of corpus.filter((x) => x.expect === 'ok')) {
    const p = await replay(c)
    if (p) problems.push(`${c.file}: ${p}`)
  }
  assert.equal(problems, [])
})

test('the foreign container was never touched, and the proxy owns nothing left over', async () => {
  if (setupError) throw setupError
  const i = await env.engine.getContainer(foreign.id).inspect()
  assert.is(i.State.Status, 'created')
  assert.is(px.proxy.owned.size, 0)
})

test.run()
