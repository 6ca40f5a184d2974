// Startup benchmark: whole-process wall time of "import, construct, offline check" against
// a bare `node -e ''`, interleaved in one run. Prints median and p90 of each and the median
// difference; the target is under 15 ms added.
//
//   npm run bench            (needs the addon built and the emulator binary, as the tests)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { Licensor, key, startEmulator } from '../tests/support.mjs'

const RUNS = Number(process.env.KS_BENCH_RUNS ?? 40)
const here = fileURLToPath(new URL('.', import.meta.url))

// An activated data directory, made once against the emulator.
const cleanups = []
const t = { after: (f) => cleanups.push(f) }
const emu = await startEmulator(t, [key('NODE-BENCH-0001')])
const dataDir = mkdtempSync(join(tmpdir(), 'keyseat-node-bench-'))
await new Licensor({
  qualifier: 'com',
  organisation: 'Example',
  application: 'NodeBench',
  productIds: ['pdt_node_app'],
  vendorSecret: 'node bench vendor secret',
  baseUrl: emu.url,
  dataDir,
  keyStorage: 'file',
}).activate('NODE-BENCH-0001')
await emu.stop()

function time(args) {
  const start = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}`)
  return ms
}

const bare = []
const full = []
for (let i = 0; i < 3; i++) time(['-e', '']) // warm the page cache
for (let i = 0; i < RUNS; i++) {
  bare.push(time(['-e', '']))
  full.push(time([join(here, 'offline-check.cjs'), dataDir]))
}
rmSync(dataDir, { recursive: true, force: true })
for (const f of cleanups) f()

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]
const fmt = (x) => x.toFixed(1).padStart(6)
console.log(`node ${process.version}, ${RUNS} runs each, interleaved`)
console.log(`bare interpreter (node -e '')        median ${fmt(pct(bare, 0.5))} ms  p90 ${fmt(pct(bare, 0.9))} ms`)
console.log(`import + construct + checkOffline()  median ${fmt(pct(full, 0.5))} ms  p90 ${fmt(pct(full, 0.9))} ms`)
const added = pct(full, 0.5) - pct(bare, 0.5)
console.log(`added by keyseat: ${added.toFixed(1)} ms (target < 15 ms): ${added < 15 ? 'met' : 'NOT MET'}`)
