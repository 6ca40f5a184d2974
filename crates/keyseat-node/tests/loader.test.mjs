// The loader's error, on a platform with no addon: it names the platform and says what to
// do (install the optional dependency, or build from source where none is published).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'

import { testedPackage } from './support.mjs'

const index = join(testedPackage, 'index.js')

/** The error `require(index.js)` throws when the process says it is `platform`/`arch`. */
function loadAs(platform, arch) {
  const script = `
    Object.defineProperty(process, 'platform', { value: ${JSON.stringify(platform)} })
    Object.defineProperty(process, 'arch', { value: ${JSON.stringify(arch)} })
    try { require(${JSON.stringify(index)}); console.log('LOADED') } catch (e) { console.log(e.message) }`
  const env = { ...process.env }
  delete env.KEYSEAT_NATIVE_LIBRARY_PATH
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env })
  assert.equal(out.status, 0, out.stderr)
  return out.stdout
}

test('a published platform whose package is missing: reinstall with optional dependencies', () => {
  const message = loadAs('darwin', 'arm64')
  assert.match(message, /no native addon for darwin-arm64/)
  assert.match(message, /@keyseat\/darwin-arm64/)
  assert.match(message, /--omit=optional/)
})

test('a platform nothing is published for: build from source', () => {
  const message = loadAs('freebsd', 'x64')
  assert.match(message, /no native addon for freebsd-x64/)
  assert.match(message, /publishes addons for linux-x64-gnu, win32-x64-msvc, darwin-arm64, darwin-x64/)
  assert.match(message, /KEYSEAT_NATIVE_LIBRARY_PATH/)
})
