// The measured program: import the package ($KEYSEAT_NODE_PACKAGE, an installed copy, or this
// folder), construct a Licensor, check offline.
const { Licensor } = require(process.env.KEYSEAT_NODE_PACKAGE ?? '..')

const [dataDir] = process.argv.slice(2)
const status = new Licensor({
  qualifier: 'com',
  organisation: 'Example',
  application: 'NodeBench',
  productIds: ['pdt_node_app'],
  vendorSecret: 'node bench vendor secret',
  baseUrl: 'http://127.0.0.1:9',
  dataDir,
  keyStorage: 'file',
}).checkOffline()
if (status.state !== 'active') {
  process.stderr.write(`unexpected state ${status.state}\n`)
  process.exit(1)
}
