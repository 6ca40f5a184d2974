// Lemon Squeezy and Polar keys from Node (issue 22): the whole life through one Licensor, a
// key of another store refused with its activation released, and a Polar key with no
// activations licensed with no seat.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { Licensor, codeOf, options, startEmulator } from './support.mjs'

const ORG = '1dbfc517-0bbf-4301-9ba8-555ca42b9737'
const BENEFIT = '5a1e3c0e-0000-4000-8000-000000000003'

const lemon = (text, store = 7) => ({
  key: text,
  provider: 'lemonsqueezy',
  store_id: store,
  product_id: 4,
  variant_id: 5,
  activation_limit: 1,
  customer_email: 'ada@example.com',
  expires_at: '2099-01-01T00:00:00Z',
})

test('a Lemon Squeezy key: activate, check, revalidate, deactivate', async (t) => {
  const emu = await startEmulator(t, [lemon('NODE-LS-0001'), lemon('NODE-LS-OTHER-STORE', 8)])
  const opts = options(t, emu.url, {
    provider: 'lemonsqueezy',
    account: '7',
    productIds: ['4'],
    variantIds: ['5'],
  })
  const licensor = new Licensor(opts)
  const active = await licensor.activate('NODE-LS-0001\n')
  assert.equal(active.state, 'active')
  assert.equal(active.provider, 'lemonsqueezy')
  assert.equal(active.productId, '4')
  assert.equal(active.holdsSeat, true)
  assert.equal(active.expiresAt.toISOString(), '2099-01-01T00:00:00.000Z')
  assert.ok(!JSON.stringify(active).includes('NODE-LS-0001'))
  assert.equal((await licensor.revalidate()).state, 'active')
  assert.equal(await licensor.deactivate(), 'slot_freed')
  assert.deepEqual(await emu.control('/_emulator/instances', undefined, 'GET'), [])

  // Another store's key: refused, released, nothing held.
  const other = new Licensor(options(t, emu.url, { provider: 'lemonsqueezy', account: '7', productIds: ['4'] }))
  assert.equal(await codeOf(other.activate('NODE-LS-OTHER-STORE')), 'WRONG_PRODUCT')
  assert.deepEqual(await emu.control('/_emulator/instances', undefined, 'GET'), [])
  assert.equal(other.checkOffline().state, 'not_activated')
})

test('a Polar key without activations licenses with no seat', async (t) => {
  const emu = await startEmulator(t, [
    { key: 'NODE-POLAR-0001', provider: 'polar', organization_id: ORG, benefit_id: BENEFIT },
  ])
  const licensor = new Licensor(
    options(t, emu.url, { provider: 'polar', account: ORG, productIds: [BENEFIT] }),
  )
  const active = await licensor.activate('NODE-POLAR-0001')
  assert.equal(active.state, 'active')
  assert.equal(active.holdsSeat, false)
  assert.equal(active.instanceId, null)
  await emu.control('/_emulator/keys/revoke', { key: 'NODE-POLAR-0001' })
  assert.equal((await licensor.revalidate()).state, 'revoked')
  assert.equal(await licensor.deactivate(), 'no_seat')
})

test('a provider needs its account, and names are checked', async (t) => {
  const emu = await startEmulator(t, [])
  for (const extra of [
    { provider: 'polar' },
    { provider: 'lemonsqueezy', account: 'not-a-number' },
    { provider: 'dodo', account: '7' },
    { provider: 'paddle' },
    { variantIds: ['5'] },
  ]) {
    assert.equal(await codeOf(() => new Licensor(options(t, emu.url, extra))), 'INVALID_INPUT', JSON.stringify(extra))
  }
})

test('a Keygen key: signed answers, activate and deactivate; another public key refuses', async (t) => {
  const keygen = (text) => ({
    key: text,
    provider: 'keygen',
    account: 'acme',
    product_id: 'prod-1',
    max_machines: 1,
  })
  const emu = await startEmulator(t, [keygen('NODE-KEYGEN-0001')])
  const opts = (publicKey) =>
    options(t, emu.url, { provider: 'keygen', account: 'acme', publicKey, productIds: ['prod-1'] })
  const licensor = new Licensor(opts(emu.keygenPublicKey))
  const active = await licensor.activate('NODE-KEYGEN-0001')
  assert.equal(active.state, 'active')
  assert.equal(active.provider, 'keygen')
  assert.equal(active.holdsSeat, true)
  assert.equal(await licensor.deactivate(), 'slot_freed')

  // A key of small order (the identity) is no account's key: refused as it is given.
  assert.equal(await codeOf(() => new Licensor(opts('01' + '00'.repeat(31)))), 'INVALID_INPUT')
  // Another account's genuine key (RFC 8032's first test key): its answers do not verify.
  const forged = new Licensor(opts('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'))
  assert.equal(await codeOf(forged.activate('NODE-KEYGEN-0001')), 'BAD_SIGNATURE')
  assert.equal(forged.checkOffline().state, 'not_activated')
  assert.equal(
    await codeOf(() => new Licensor(opts(undefined))),
    'INVALID_INPUT',
    'Keygen needs its public key',
  )
})
