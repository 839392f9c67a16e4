import { test } from 'uvu'
import * as assert from 'uvu/assert'
import sodium from 'sodium-native'
import { KeyPairPool } from '../../../src/crypto/key-pool.ts'

const nextTimers = () => new Promise((resolve) => setTimeout(resolve, 5))

function isPair(pair: { publicKey: Buffer; privateKey: Buffer }): boolean {
  const expected = Buffer.alloc(32)
  sodium.crypto_scalarmult_base(expected, pair.privateKey)
  return pair.privateKey.length === 32 && expected.equals(pair.publicKey) && !pair.privateKey.equals(Buffer.alloc(32))
}

test('take hands out valid pairs, each once: made ahead or on the spot', async () => {
  const pool = new KeyPairPool(2)
  const taken = [pool.take(), pool.take(), pool.take()]
  await nextTimers()
  await nextTimers()
  taken.push(pool.take(), pool.take(), pool.take())
  for (const pair of taken) assert.ok(isPair(pair))
  assert.is(new Set(taken.map((p) => p.privateKey.toString('hex'))).size, taken.length)
  assert.is(new Set(taken.map((p) => p.publicKey.toString('hex'))).size, taken.length)
  pool.close()
})

test('close wipes the pairs held ahead; take still works afterwards, without keeping any', async () => {
  const pool = new KeyPairPool(3)
  for (let i = 0; i < 5; i++) await nextTimers()
  const held = (pool as unknown as { ready: { privateKey: Buffer }[] }).ready.slice()
  assert.is(held.length, 3)
  pool.close()
  for (const pair of held) assert.ok(pair.privateKey.equals(Buffer.alloc(32)))
  assert.ok(isPair(pool.take()))
  await nextTimers()
  assert.is((pool as unknown as { ready: unknown[] }).ready.length, 0)
})

test.run()
