import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect } from 'node:net'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { callControl, serveControl } from '../../../src/control/socket.ts'
import { WoprP2PError } from '../../../src/reasons.ts'
import { ensureSecureDir } from '../../../src/store/secure-dir.ts'
import { freshPath } from '../../support/temp-dirs.ts'

async function failure(p: Promise<unknown>): Promise<WoprP2PError> {
  try {
    await p
  } catch (err) {
    if (err instanceof WoprP2PError) return err
    throw err
  }
  throw new Error('expected a failure')
}

function sockPath(): string {
  const dir = freshPath()
  ensureSecureDir(dir)
  return join(dir, 'control.sock')
}

test('requests reach their handler; the socket is 0600', async () => {
  const path = sockPath()
  const server = await serveControl(path, { echo: (args) => ({ got: args }) })
  try {
    assert.is(statSync(path).mode & 0o777, 0o600)
    assert.equal(await callControl(path, 'echo', { a: 1 }), { got: { a: 1 } })
  } finally {
    server.close()
  }
})

test('errors carry code, message and hint; unknown ops and prototype names are refused', async () => {
  const path = sockPath()
  const server = await serveControl(path, {
    fail: () => {
      throw new WoprP2PError('ADMIT_UNAUTHORIZED', 'nope', 'try grant')
    },
    crash: () => {
      throw new Error('secret detail')
    },
  })
  try {
    const e = await failure(callControl(path, 'fail'))
    assert.ok(e instanceof WoprP2PError)
    assert.is(e.code, 'ADMIT_UNAUTHORIZED')
    assert.is(e.hint, 'try grant')
    const c = await failure(callControl(path, 'crash'))
    assert.is(c.code, 'INTERNAL')
    assert.not.match(c.message, /secret/)
    for (const op of ['nope', 'constructor', '__proto__', 'toString']) {
      const u = await failure(callControl(path, op))
      assert.is(u.code, 'USAGE', op)
    }
  } finally {
    server.close()
  }
})

test('an oversized request is refused without buffering it all', async () => {
  const path = sockPath()
  const server = await serveControl(path, { echo: () => 'x' })
  try {
    const reply = await new Promise<string>((resolve) => {
      const s = connect(path)
      let data = ''
      s.on('data', (d) => (data += d))
      s.on('close', () => resolve(data))
      s.on('error', () => resolve(data))
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      for (let i = 0; i < 20; i++) s.write(chunk)
    })
    assert.match(reply, /too large/)
  } finally {
    server.close()
  }
})

test('a stale socket file is replaced; a live sidecar or a non-socket is refused', async () => {
  const path = sockPath()
  const first = await serveControl(path, {})
  const second = await failure(serveControl(path, {}))
  assert.match(String(second.message), /already listening/)
  first.close()
  const again = await serveControl(path, { ping: () => 'pong' })
  assert.is(await callControl(path, 'ping'), 'pong')
  again.close()
  const file = sockPath()
  writeFileSync(file, 'x')
  const refused = await failure(serveControl(file, {}))
  assert.match(String(refused.message), /not a socket/)
})

test('calling a sidecar that is not running says how to start it', async () => {
  const e = await failure(callControl(sockPath(), 'status'))
  assert.is(e.code, 'IO')
  assert.match(e.hint ?? "", /wopr-p2p sidecar/)
})

test.run()
