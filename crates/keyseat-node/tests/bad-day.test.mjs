// The customer's bad day from Node (issue 21): a local trial, a seat freed from another
// machine, activation names, and the name a lost answer leaves behind.
import assert from 'node:assert/strict'
import { rmSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { Licensor, codeOf, key, options, startEmulator } from './support.mjs'

const DAY_MS = 24 * 3600 * 1000

test('startTrial starts a trial of trialDays once, and never moves its end', async (t) => {
  const emu = await startEmulator(t, [key('NODE-TRIAL-0001')])
  const licensor = new Licensor(options(t, emu.url, { trialDays: 7, keyStorage: 'memory' }))
  assert.equal(licensor.checkOffline().state, 'not_activated')
  const before = Date.now()
  const started = licensor.startTrial()
  assert.equal(started.state, 'trial')
  assert.equal(started.licensed, true)
  assert.ok(started.trialEndsAt instanceof Date)
  const length = started.trialEndsAt.getTime() - before
  assert.ok(Math.abs(length - 7 * DAY_MS) < 5000, `${length}`)
  const again = licensor.startTrial()
  assert.equal(again.trialEndsAt.getTime(), started.trialEndsAt.getTime())
  assert.equal((await licensor.check()).state, 'trial')
  assert.equal(JSON.parse(JSON.stringify(again)).state, 'trial')

  const withoutTrial = new Licensor(options(t, emu.url))
  assert.equal(await codeOf(() => withoutTrial.startTrial()), 'INVALID_INPUT')
})

test('a trial survives emptying the data directory, and an activation decides over it', async (t) => {
  const emu = await startEmulator(t, [key('NODE-TRIAL-0002')])
  const opts = options(t, emu.url, { trialDays: 14, keyStorage: 'memory' })
  const licensor = new Licensor(opts)
  const end = licensor.startTrial().trialEndsAt.getTime()
  for (const name of readdirSync(opts.dataDir)) rmSync(join(opts.dataDir, name))
  const back = licensor.checkOffline()
  assert.equal(back.state, 'trial')
  assert.equal(back.trialEndsAt.getTime(), end)
  const active = await licensor.activate('NODE-TRIAL-0002')
  assert.equal(active.state, 'active')
  assert.equal(licensor.startTrial().state, 'active')
  await licensor.deactivate()
  assert.equal(licensor.checkOffline().state, 'trial')
})

test('releaseInstance frees another machine\'s seat; statuses name the instance', async (t) => {
  const emu = await startEmulator(t, [key('NODE-SEAT-0001', { activations_limit: 1 })])
  const oldLaptop = new Licensor(options(t, emu.url))
  const noted = await oldLaptop.activate('NODE-SEAT-0001')
  assert.match(noted.instanceName, / \(.+\) · [0-9a-f]{6}$/)
  assert.ok(noted.instanceName.endsWith(oldLaptop.fingerprint().slice(0, 6)))
  const newLaptop = new Licensor(options(t, emu.url))
  assert.equal(await codeOf(newLaptop.activate('NODE-SEAT-0001')), 'LIMIT_REACHED')
  assert.equal(await newLaptop.releaseInstance('NODE-SEAT-0001', noted.instanceId), 'slot_freed')
  assert.equal((await newLaptop.activate('NODE-SEAT-0001')).state, 'active')
  assert.equal(await newLaptop.releaseInstance('NODE-SEAT-0001', noted.instanceId), 'already_gone')
  assert.equal(await codeOf(newLaptop.releaseInstance(42, noted.instanceId)), 'INVALID_INPUT')
})

test('a lost answer leaves its name in the status and in the limit message', async (t) => {
  const emu = await startEmulator(t, [key('NODE-LOST-0001', { activations_limit: 1 })])
  const licensor = new Licensor(options(t, emu.url))
  await emu.control('/_emulator/faults', {
    endpoint: 'activate',
    fault: { kind: 'process_then_close' },
    count: 1,
  })
  assert.equal(await codeOf(licensor.activate('NODE-LOST-0001')), 'AMBIGUOUS_ACTIVATION')
  const status = licensor.checkOffline()
  assert.equal(status.state, 'not_activated')
  assert.match(status.pendingActivationName, / · [0-9a-f]{6}$/)
  assert.ok(status.pendingActivationAt instanceof Date)
  try {
    await licensor.activate('NODE-LOST-0001')
    assert.fail('activated past the limit')
  } catch (e) {
    assert.equal(e.code, 'LIMIT_REACHED')
    assert.ok(
      e.message.includes(`an activation named '${status.pendingActivationName}' may have been created on`),
      e.message,
    )
    assert.ok(!e.message.includes('NODE-LOST-0001'))
  }
})
