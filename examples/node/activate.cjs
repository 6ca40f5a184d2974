// Activate, check, check offline, deactivate: the whole flow through the `keyseat` npm
// package, as an app that installed it would run it.
//
// Environment: KS_BASE_URL (license server, e.g. the emulator), KS_DATA_DIR, KS_KEY,
// KS_PRODUCT_ID (the app's product id).
// Run: npm install keyseat && node activate.cjs
'use strict'
const { Licensor } = require('keyseat')

async function main() {
  const licensor = new Licensor({
    qualifier: 'com',
    organisation: 'Example',
    application: 'NodeExample',
    productIds: [process.env.KS_PRODUCT_ID ?? 'pdt_example'],
    vendorSecret: 'example vendor secret',
    baseUrl: process.env.KS_BASE_URL,
    dataDir: process.env.KS_DATA_DIR,
    keyStorage: 'file',
  })
  const activated = await licensor.activate(process.env.KS_KEY)
  console.log(`activated: ${activated.state}`)
  const checked = await licensor.check()
  console.log(`state: ${checked.state}`)
  console.log(`licensed: ${checked.licensed ? 'yes' : 'no'}`)
  console.log(`key: ${checked.keyHint}`)
  const offline = licensor.checkOffline()
  console.log(`offline: ${offline.state}`)
  console.log(`deactivate: ${await licensor.deactivate({ force: false })}`)
  console.log(`after deactivate: ${licensor.checkOffline().state.replace('_', ' ')}`)
}

main().catch((e) => {
  console.error(`failed (${e.code}): ${e.message}`)
  process.exit(1)
})
