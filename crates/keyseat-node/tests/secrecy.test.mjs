import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { inspect } from 'node:util'

import { Licensor, key, options, startEmulator } from './support.mjs'

const KEY = 'SECRET-NODE-KEY-7f3a9c'
const OTHER = 'SECRET-NODE-KEY-OTHER-1b2c'

function assertNoKey(text, what) {
  assert.ok(!text.includes(KEY), `${what} shows the key: ${text}`)
  assert.ok(!text.includes(OTHER), `${what} shows the other key: ${text}`)
  assert.ok(!text.includes('node test vendor secret'), `${what} shows the vendor secret`)
}

test('the key never appears in inspect, JSON, errors or the cache', async (t) => {
  const emu = await startEmulator(t, [key(KEY), key(OTHER, { activations_limit: 0 })])
  const opts = options(t, emu.url)
  const licensor = new Licensor(opts)
  const status = await licensor.activate(KEY)
  assert.equal(status.keyHint, '****-3a9c')
  for (const [what, value] of [
    ['status', status],
    ['checkOffline()', licensor.checkOffline()],
    ['licensor', licensor],
  ]) {
    assertNoKey(JSON.stringify(value) ?? '', `JSON.stringify(${what})`)
    assertNoKey(inspect(value, { showHidden: true, depth: 5 }), `inspect(${what})`)
    assertNoKey(String(value), `String(${what})`)
  }
  const watch = licensor.watch(60_000, () => {})
  assertNoKey(inspect(watch, { showHidden: true }), 'inspect(watch)')
  watch.stop()

  const errors = []
  await licensor.activate(OTHER).catch((e) => errors.push(e))
  const fresh = new Licensor(options(t, emu.url))
  await fresh.activate(OTHER).catch((e) => errors.push(e))
  assert.deepEqual(errors.map((e) => e.code), ['ALREADY_ACTIVATED', 'LIMIT_REACHED'])
  for (const e of errors) {
    assertNoKey(e.message, 'error message')
    assertNoKey(e.stack, 'error stack')
    assertNoKey(JSON.stringify(e), 'JSON.stringify(error)')
    assertNoKey(inspect(e, { showHidden: true }), 'inspect(error)')
  }

  // A key handed over in the wrong type is refused without being echoed.
  for (const wrapped of [[KEY], { key: KEY }, Buffer.from(KEY), new String(KEY)]) {
    const e = await fresh.activate(wrapped).then(
      () => assert.fail('accepted'),
      (e) => e,
    )
    assert.equal(e.code, 'INVALID_INPUT')
    assertNoKey(`${e.message} ${e.stack} ${inspect(e)}`, 'wrong-type error')
  }

  const cache = readdirSync(opts.dataDir).filter((f) => f.startsWith('license'))
  assert.ok(cache.length > 0, 'a cache was written')
  for (const f of cache) assertNoKey(readFileSync(join(opts.dataDir, f), 'utf8'), f)
})
