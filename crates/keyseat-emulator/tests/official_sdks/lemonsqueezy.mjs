// Lemon Squeezy's official JavaScript SDK (@lemonsqueezy/lemonsqueezy.js 4.x), unchanged,
// through its license calls against the emulator. The SDK has its server's address built
// in; `fetch` is pointed at the emulator instead, and nothing else changes.
//
// Usage: node lemonsqueezy.mjs <sdk module path> <emulator url> <key>
import assert from 'node:assert/strict'
import { pathToFileURL } from 'node:url'

const [sdkPath, emulator, key] = process.argv.slice(2)
const realFetch = globalThis.fetch
const seen = []
globalThis.fetch = (url, init) => {
  seen.push(init.headers.get('content-type'))
  return realFetch(String(url).replace('https://api.lemonsqueezy.com', emulator), init)
}
const ls = await import(pathToFileURL(sdkPath).href)

const activated = await ls.activateLicense(key, 'official SDK')
assert.equal(activated.error, null, `activate: ${activated.error?.cause}`)
assert.equal(activated.statusCode, 200)
assert.equal(activated.data.activated, true)
const instance = activated.data.instance.id
assert.equal(activated.data.meta.store_id, 7)

const validated = await ls.validateLicense(key, instance)
assert.equal(validated.error, null, `validate: ${validated.error?.cause}`)
assert.equal(validated.data.valid, true)
assert.equal(validated.data.instance.id, instance)

const deactivated = await ls.deactivateLicense(key, instance)
assert.equal(deactivated.error, null, `deactivate: ${deactivated.error?.cause}`)
assert.equal(deactivated.data.deactivated, true)

const unknown = await ls.validateLicense('NO-SUCH-KEY-0000000000')
assert.equal(unknown.statusCode, 404)
assert.equal(unknown.data.valid, false)

assert.ok(seen.every((t) => t === 'application/vnd.api+json'), `content types: ${seen}`)
console.log(`lemonsqueezy.js: ${seen.length} license calls as the SDK sends them`)
