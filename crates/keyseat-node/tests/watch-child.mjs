// Run by watch.test.mjs: starts a watch, and after its first callback either stops it
// ('stop') or leaves it running ('keep'), then lets the script end.
import { Licensor } from './support.mjs'

const [url, dataDir, keyText, mode] = process.argv.slice(2)
const licensor = new Licensor({
  qualifier: 'com',
  organisation: 'Example',
  application: 'NodeWatchChild',
  productIds: ['pdt_node_app'],
  vendorSecret: 'node test vendor secret',
  baseUrl: url,
  dataDir,
  keyStorage: 'file',
})
await licensor.activate(keyText)
const watch = licensor.watch(50, (status) => {
  process.stdout.write(`${status.state}\n`)
  if (mode === 'stop') watch.stop()
})
