// Through the seller's keyseat-relay (issue 29): a license's whole life with what Dodo's
// API key knows (the limit, the seats in use, the entitlements), the seats listed, and an
// offline activation with every server gone; and what other providers say they cannot do.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import {
  Licensor,
  RELAY_API_KEY,
  codeOf,
  key,
  options,
  startEmulator,
  startRelay,
} from './support.mjs'

const KEY = 'NODE-RELAY-0001'

test('a key lives through the relay, and a machine activates offline', async (t) => {
  const emu = await startEmulator(t, [key(KEY, { activations_limit: 2 })], ['--api-key', RELAY_API_KEY])
  const relay = await startRelay(t, emu)
  const opts = options(t, relay.url, { provider: 'relay', publicKeys: [relay.publicKey] })
  const licensor = new Licensor(opts)
  const active = await licensor.activate(KEY)
  assert.equal(active.state, 'active')
  assert.equal(active.provider, 'relay')
  assert.equal(active.activationLimit, 2)
  assert.equal(active.activationsUsed, 1)
  assert.equal(active.entitlements.length, 1)
  assert.equal(active.entitlements[0].id, 'ent_emulator')
  assert.equal(active.expiresAt, null)
  assert.ok(!JSON.stringify(active).includes(KEY))
  const seats = await licensor.seats()
  assert.equal(seats.length, 1)
  assert.equal(seats[0].id, active.instanceId)
  assert.equal(seats[0].thisMachine, true)
  assert.equal(await licensor.deactivate(), 'slot_freed')

  // Offline: the request, the relay's machine file, then no server at all.
  const request = licensor.offlineRequest(KEY)
  assert.ok(!request.includes(KEY))
  const res = await fetch(`${relay.url}/v1/offline`, { method: 'POST', body: request })
  assert.equal(res.status, 200)
  const file = await res.text()
  await relay.stop()
  await emu.stop()
  const offline = await licensor.offlineActivate(KEY, file)
  assert.equal(offline.state, 'active')
  assert.equal(offline.activatedOffline, true)
  assert.ok(offline.graceDeadline > new Date(Date.now() + 300 * 86_400_000))
  assert.equal(licensor.checkOffline().state, 'active')
  const proof = await licensor.offlineDeactivate()
  assert.match(proof, /^-----BEGIN KEYSEAT OFFLINE RELEASE-----/)
  assert.equal(licensor.checkOffline().state, 'not_activated')
  // A machine file for another key is refused.
  assert.equal(await codeOf(licensor.offlineActivate('NODE-RELAY-OTHER', file)), 'INVALID_INPUT')
})

test('Dodo directly: nothing guessed, seats and offline activation unsupported', async (t) => {
  const emu = await startEmulator(t, [key('NODE-DODO-FACTS', { activations_limit: 2 })])
  const licensor = new Licensor(options(t, emu.url))
  const active = await licensor.activate('NODE-DODO-FACTS')
  assert.equal(active.activationLimit, null)
  assert.equal(active.activationsUsed, null)
  assert.equal(active.entitlements, null)
  assert.equal(active.activatedOffline, false)
  assert.equal(await codeOf(licensor.seats()), 'UNSUPPORTED')
  assert.equal(await codeOf(() => licensor.offlineRequest('NODE-DODO-FACTS')), 'UNSUPPORTED')
  assert.equal(await codeOf(licensor.seats(42)), 'INVALID_INPUT')
})
