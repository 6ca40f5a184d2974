import assert from 'node:assert/strict'
import { test } from 'node:test'

import { Licensor, PRODUCT, codeOf, key, options, startEmulator } from './support.mjs'

const DAY_MS = 24 * 3600 * 1000

test('activate gives a plain status object with Dates', async (t) => {
  const emu = await startEmulator(t, [key('NODE-ACTIVATE-0001')])
  const licensor = new Licensor(options(t, emu.url))
  const before = Date.now()
  const status = await licensor.activate('NODE-ACTIVATE-0001')
  assert.equal(Object.getPrototypeOf(status), Object.prototype)
  assert.equal(status.state, 'active')
  assert.equal(status.licensed, true)
  assert.equal(status.networkUsed, true)
  assert.equal(status.productId, PRODUCT)
  assert.equal(status.productName, 'Node App')
  assert.equal(status.customerEmail, 'ada@example.com')
  assert.match(status.instanceId, /^lki_/)
  assert.equal(status.keyHint, '****-0001')
  assert.equal(status.keyStorage, 'file')
  assert.ok(status.activatedAt instanceof Date)
  assert.ok(status.lastValidated instanceof Date)
  assert.ok(status.lastValidated.getTime() >= before - 1000)
  assert.equal(status.graceDeadline.getTime() - status.lastValidated.getTime(), 14 * DAY_MS)
})

test('checkOffline and fingerprint are synchronous; check is a Promise', async (t) => {
  const emu = await startEmulator(t, [key('NODE-OFFLINE-0001')])
  const licensor = new Licensor(options(t, emu.url))
  const empty = licensor.checkOffline()
  assert.equal(empty.state, 'not_activated')
  assert.equal(empty.licensed, false)
  assert.equal(empty.instanceId, null)
  assert.equal(empty.activatedAt, null)
  assert.equal(empty.graceDeadline, null)
  assert.match(licensor.fingerprint(), /^[0-9a-f]{64}$/)

  const activated = await licensor.activate('NODE-OFFLINE-0001')
  const offline = licensor.checkOffline()
  assert.equal(offline.state, 'active')
  assert.equal(offline.networkUsed, false)
  assert.equal(offline.instanceId, activated.instanceId)

  const pending = licensor.check()
  assert.ok(pending instanceof Promise)
  const checked = await pending
  assert.equal(checked.state, 'active')
  assert.equal(checked.networkUsed, false, 'a fresh answer is served from the cache')
})

test('network calls run off the JavaScript thread', async (t) => {
  const emu = await startEmulator(t, [key('NODE-THREAD-0001')])
  const licensor = new Licensor(options(t, emu.url))
  await licensor.activate('NODE-THREAD-0001')
  await emu.control('/_emulator/faults', {
    endpoint: 'validate',
    fault: { kind: 'delay', ms: 600 },
    count: 1,
  })
  let ticks = 0
  const timer = setInterval(() => ticks++, 20)
  const started = Date.now()
  const status = await licensor.revalidate()
  clearInterval(timer)
  assert.equal(status.state, 'active')
  assert.equal(status.networkUsed, true)
  assert.ok(Date.now() - started >= 550, 'the delay was served')
  assert.ok(ticks >= 10, `the event loop kept running during the call (${ticks} ticks)`)
})

test('a revoked key is noticed; an unreachable server gives grace', async (t) => {
  const emu = await startEmulator(t, [key('NODE-REVOKE-0001'), key('NODE-GRACE-0001')])
  const revoked = new Licensor(options(t, emu.url))
  await revoked.activate('NODE-REVOKE-0001')
  await emu.control('/_emulator/keys/disable', { key: 'NODE-REVOKE-0001' })
  const status = await revoked.revalidate()
  assert.equal(status.state, 'revoked')
  assert.equal(status.licensed, false)

  const offline = new Licensor(options(t, emu.url))
  await offline.activate('NODE-GRACE-0001')
  await emu.stop()
  const grace = await offline.revalidate()
  assert.equal(grace.state, 'grace')
  assert.equal(grace.licensed, true)
  assert.ok(grace.graceDeadline instanceof Date)
  assert.equal(await codeOf(offline.activate('NODE-OTHER-KEY-0001')), 'ALREADY_ACTIVATED')
  assert.equal(await offline.deactivate({ force: true }), 'local_only')
  assert.equal(offline.checkOffline().state, 'not_activated')
})

test('deactivate frees the slot', async (t) => {
  const emu = await startEmulator(t, [key('NODE-DEACT-0001', { activations_limit: 1 })])
  const licensor = new Licensor(options(t, emu.url))
  await licensor.activate('NODE-DEACT-0001')
  assert.equal(await licensor.deactivate(), 'slot_freed')
  assert.equal(licensor.checkOffline().state, 'not_activated')
  assert.deepEqual(await emu.control('/_emulator/instances', undefined, 'GET'), [])
  assert.equal(await codeOf(licensor.deactivate()), 'NOT_ACTIVATED')
})

test('the memory store keeps nothing on disk', async (t) => {
  const emu = await startEmulator(t, [key('NODE-MEMORY-0001')])
  const licensor = new Licensor(options(t, emu.url, { keyStorage: 'memory' }))
  const status = await licensor.activate('NODE-MEMORY-0001')
  assert.equal(status.keyStorage, 'memory')
})
