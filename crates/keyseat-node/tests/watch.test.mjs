import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import { Licensor, key, options, packageDir, startEmulator, tempDir } from './support.mjs'

test('watch reports the first state and every change, and stops', async (t) => {
  const emu = await startEmulator(t, [key('NODE-WATCH-0001')])
  const licensor = new Licensor(options(t, emu.url))
  await licensor.activate('NODE-WATCH-0001')
  const seen = []
  let changed
  const revoked = new Promise((ok) => (changed = ok))
  const watch = licensor.watch(50, (status) => {
    seen.push(status.state)
    if (status.state === 'revoked') changed()
  })
  t.after(() => watch.stop())
  await sleep(150)
  await emu.control('/_emulator/keys/disable', { key: 'NODE-WATCH-0001' })
  await revoked
  watch.stop()
  watch.stop()
  assert.deepEqual(seen, ['active', 'revoked'])
  const after = seen.length
  await sleep(200)
  assert.equal(seen.length, after, 'no callback after stop()')
})

// The child activates, starts a 50 ms watch and ends its script after the first callback.
async function runChild(t, mode) {
  const emu = await startEmulator(t, [key(`NODE-CHILD-${mode}`)])
  const child = spawn(
    process.execPath,
    [join(packageDir, 'tests', 'watch-child.mjs'), emu.url, tempDir(t), `NODE-CHILD-${mode}`, mode],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  t.after(() => child.kill())
  const [first] = await once(createInterface({ input: child.stdout }), 'line')
  assert.equal(first, 'active')
  const exited = once(child, 'exit').then(([code]) => code)
  const verdict = await Promise.race([exited, sleep(3000).then(() => 'still running')])
  return verdict
}

test('a stopped watch does not keep the process alive', async (t) => {
  assert.equal(await runChild(t, 'stop'), 0)
})

test('a running watch keeps the process alive, as setInterval does', async (t) => {
  assert.equal(await runChild(t, 'keep'), 'still running')
})
