import assert from 'node:assert/strict'
import { test } from 'node:test'

import { Licensor, OTHER_PRODUCT, codeOf, key, options, startEmulator } from './support.mjs'

test('the constructor needs a product binding and refuses bad options', async (t) => {
  const base = options(t, 'http://127.0.0.1:9')
  const invalid = (extra) => codeOf(() => new Licensor({ ...base, ...extra }))
  assert.equal(await invalid({ productIds: undefined }), 'INVALID_INPUT')
  assert.equal(await invalid({ productIds: [] }), 'INVALID_INPUT')
  assert.equal(await invalid({ anyProduct: true }), 'INVALID_INPUT', 'not both')
  assert.equal(await invalid({ productIds: [''] }), 'INVALID_INPUT')
  assert.equal(await invalid({ keyStorage: 'cloud' }), 'INVALID_INPUT')
  assert.equal(await invalid({ environment: 'staging', baseUrl: undefined }), 'INVALID_INPUT')
  assert.equal(await invalid({ baseUrl: 'http://example.com' }), 'INVALID_INPUT')
  assert.equal(await invalid({ gracePeriodSeconds: -1 }), 'INVALID_INPUT')
  assert.equal(await invalid({ revalidateIntervalSeconds: Number.NaN }), 'INVALID_INPUT')
  assert.equal(await invalid({ caFile: '/nonexistent/ca.pem' }), 'IO')
  assert.equal(await invalid({ qualifier: 7 }), 'INVALID_INPUT')
  const any = new Licensor({ ...base, productIds: undefined, anyProduct: true })
  assert.equal(any.checkOffline().state, 'not_activated')
})

test('refusals reject with an Error carrying the C name as code', async (t) => {
  const emu = await startEmulator(t, [
    key('NODE-LIMIT-0001', { activations_limit: 0 }),
    key('NODE-DISABLED-0001', { status: 'disabled' }),
    key('NODE-OTHER-0001', { product_id: OTHER_PRODUCT }),
    key('NODE-AMBIG-0001'),
  ])
  const licensor = new Licensor(options(t, emu.url))
  const failure = async (keyText) => {
    try {
      await licensor.activate(keyText)
    } catch (e) {
      assert.ok(e instanceof Error)
      assert.equal(typeof e.message, 'string')
      return e.code
    }
    assert.fail(`${keyText} was accepted`)
  }
  assert.equal(await failure('NODE-LIMIT-0001'), 'LIMIT_REACHED')
  assert.equal(await failure('NODE-DISABLED-0001'), 'INACTIVE_KEY')
  assert.equal(await failure('NODE-UNKNOWN-0001'), 'KEY_NOT_FOUND')
  assert.equal(await failure('NODE-OTHER-0001'), 'WRONG_PRODUCT')
  assert.equal(await failure('   '), 'INVALID_INPUT')
  assert.equal(await failure(5), 'INVALID_INPUT', 'a key of the wrong type rejects')
  await emu.control('/_emulator/faults', {
    endpoint: 'activate',
    fault: { kind: 'process_then_close' },
    count: 1,
  })
  assert.equal(await failure('NODE-AMBIG-0001'), 'AMBIGUOUS_ACTIVATION')
  assert.deepEqual(
    (await emu.control('/_emulator/instances', undefined, 'GET')).map((i) => i.name.length > 0),
    [true],
    'only the ambiguous activation holds a slot; the wrong product was released',
  )
  await emu.stop()
  assert.equal(await failure('NODE-LIMIT-0001'), 'NETWORK')
})

test('watch rejects a bad interval', async (t) => {
  const licensor = new Licensor(options(t, 'http://127.0.0.1:9'))
  for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.equal(await codeOf(() => licensor.watch(bad, () => {})), 'INVALID_INPUT', `${bad}`)
  }
})
