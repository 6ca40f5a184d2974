// Test helpers: the emulator binary built by cargo, and licensors in throwaway directories.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const packageDir = resolve(here, '..')
/** The package under test: $KEYSEAT_NODE_PACKAGE (an installed copy), or this folder. */
export const testedPackage = process.env.KEYSEAT_NODE_PACKAGE ?? packageDir
export const { Licensor } = createRequire(import.meta.url)(testedPackage)

/** The emulator binary: $KEYSEAT_EMULATOR, or the workspace's debug build. */
export const emulatorBinary =
  process.env.KEYSEAT_EMULATOR ??
  resolve(packageDir, '..', '..', 'target', 'debug', 'keyseat-emulator')

export const PRODUCT = 'pdt_node_app'
export const OTHER_PRODUCT = 'pdt_someone_else'

/** A temporary directory, removed when the test ends. */
export function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'keyseat-node-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Starts the emulator serving `keys` (key objects as in its README) and stops it when the
 * test ends. Resolves to { url, control(path, body), stop() }.
 */
export async function startEmulator(t, keys, flags = []) {
  const dir = tempDir(t)
  const keysFile = join(dir, 'keys.json')
  writeFileSync(keysFile, JSON.stringify(keys))
  const child = spawn(emulatorBinary, ['--keys', keysFile, ...flags], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill()
  }
  t.after(stop)
  // `listening on URL`, then `keygen public key: HEX`.
  const [url, keygenPublicKey] = await new Promise((ok, fail) => {
    child.once('error', fail)
    child.once('exit', (code) => fail(new Error(`emulator exited with ${code}`)))
    const lines = []
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line)
      if (lines.length !== 2) return
      const m = /^listening on (\S+)$/.exec(lines[0])
      const k = /^keygen public key: ([0-9a-f]{64})$/.exec(lines[1])
      if (m && k) ok([m[1], k[1]])
      else fail(new Error(`unexpected emulator output: ${lines}`))
    })
  })
  const control = async (path, body, method = 'POST') => {
    const res = await fetch(url + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`)
    const text = await res.text()
    return text ? JSON.parse(text) : null
  }
  const stopped = () =>
    new Promise((ok) => {
      if (child.exitCode !== null || child.signalCode !== null) return ok()
      child.once('exit', () => ok())
      child.kill()
    })
  return { url, keygenPublicKey, control, stop: stopped }
}

/** The relay binary: $KEYSEAT_RELAY, or the workspace's debug build. */
export const relayBinary =
  process.env.KEYSEAT_RELAY ?? resolve(packageDir, '..', '..', 'target', 'debug', 'keyseat-relay')

/** Dodo's API key, as the emulator of `startRelay` and the relay know it. */
export const RELAY_API_KEY = 'node-relay-test-api-key'

/**
 * The seller's keyseat-relay, as its README runs it (`keygen`, then `serve` with the
 * secrets in variables), in front of `emulator` (started with `--api-key RELAY_API_KEY`),
 * stopped when the test ends. Resolves to { url, publicKey, stop() }.
 */
export async function startRelay(t, emulator) {
  const dir = tempDir(t)
  const keyFile = join(dir, 'signing-key')
  const keygen = spawn(relayBinary, ['keygen', keyFile], { stdio: ['ignore', 'pipe', 'inherit'] })
  const publicKey = await new Promise((ok, fail) => {
    keygen.once('error', fail)
    createInterface({ input: keygen.stdout }).once('line', (line) => ok(line.trim()))
  })
  const child = spawn(
    relayBinary,
    ['serve', '--listen', '127.0.0.1:0', '--database', `sqlite://${join(dir, 'relay.db')}`,
      '--signing-key-file', keyFile, '--upstream-url', emulator.url],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: {
        ...process.env,
        KEYSEAT_RELAY_API_KEY: RELAY_API_KEY,
        KEYSEAT_RELAY_WEBHOOK_SECRET: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
      },
    },
  )
  const stop = () =>
    new Promise((ok) => {
      if (child.exitCode !== null || child.signalCode !== null) return ok()
      child.once('exit', () => ok())
      child.kill('SIGTERM')
    })
  t.after(stop)
  const url = await new Promise((ok, fail) => {
    child.once('error', fail)
    child.once('exit', (code) => fail(new Error(`the relay exited with ${code}`)))
    createInterface({ input: child.stdout }).once('line', (line) => {
      const m = /^listening on (\S+)$/.exec(line)
      if (m) ok(m[1])
      else fail(new Error(`unexpected relay output: ${line}`))
    })
  })
  return { url, publicKey, stop }
}

/** Options of a Licensor against `url`, keeping everything in a fresh directory. */
export function options(t, url, extra = {}) {
  return {
    qualifier: 'com',
    organisation: 'Example',
    application: 'NodeTest',
    productIds: [PRODUCT],
    vendorSecret: 'node test vendor secret',
    baseUrl: url,
    dataDir: tempDir(t),
    keyStorage: 'file',
    ...extra,
  }
}

/** A key object for the emulator. */
export function key(text, extra = {}) {
  return {
    key: text,
    product_id: PRODUCT,
    product_name: 'Node App',
    customer_email: 'ada@example.com',
    ...extra,
  }
}

/** The code of the error `promise` rejects with (or `fn` throws). */
export async function codeOf(promiseOrFn) {
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn)
  } catch (e) {
    return e.code
  }
  throw new Error('expected a failure')
}
