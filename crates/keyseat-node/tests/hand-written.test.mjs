// Nothing an end user writes is a license (issue 27), from Node: credentials edited by hand
// are `tampered`, an earlier release's with no cache `unverified`, neither licensed; a trial
// needs a vendor secret of 16 bytes; a status says whether the local data is protected.
import assert from 'node:assert/strict'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { Licensor, codeOf, key, options, startEmulator } from './support.mjs'

test('credentials edited by hand are never a license', async (t) => {
  const emu = await startEmulator(t, [key('NODE-HAND-0001', { activations_limit: 1 })])
  const opts = options(t, emu.url)
  const active = await new Licensor(opts).activate('NODE-HAND-0001')
  assert.equal(active.localStateProtected, true)
  const path = join(opts.dataDir, 'credentials.json')
  const genuine = JSON.parse(readFileSync(path, 'utf8'))
  writeFileSync(path, JSON.stringify({ ...genuine, holds_seat: false, instance_id: 'anything' }))
  rmSync(join(opts.dataDir, 'license.json'))
  const tampered = await new Licensor(opts).check()
  assert.equal(tampered.state, 'tampered')
  assert.equal(tampered.licensed, false)

  const { mac, secret_id, ...earlier } = genuine
  assert.ok(mac && secret_id)
  writeFileSync(path, JSON.stringify(earlier))
  const unverified = await new Licensor(opts).check()
  assert.equal(unverified.state, 'unverified')
  assert.equal(unverified.licensed, false)
})

test('a trial needs a vendor secret of 16 bytes, and a status says when nothing protects it', async (t) => {
  const emu = await startEmulator(t, [key('NODE-HAND-0002')])
  for (const vendorSecret of ['', 'fifteen bytes!!']) {
    const code = await codeOf(() => new Licensor(options(t, emu.url, { vendorSecret, trialDays: 7 })))
    assert.equal(code, 'INVALID_INPUT')
  }
  const plain = new Licensor(options(t, emu.url, { vendorSecret: '' }))
  assert.equal(plain.checkOffline().localStateProtected, false)
})
