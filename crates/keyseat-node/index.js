// keyseat's loader: finds this platform's native addon and exports its classes.
//
// Written by hand, not generated: the platform packages are named @keyseat/<platform>
// (@keyseat/linux-x64-gnu, @keyseat/win32-x64-msvc, ...), a layout the generated loader
// cannot express. Where the addon may come from, in order:
//   1. KEYSEAT_NATIVE_LIBRARY_PATH, a path to a .node file (an unusual app layout);
//   2. ./keyseat.<platform>.node beside this file (a build from source: npm run build);
//   3. the optional dependency @keyseat/<platform>, which npm installs for the host only.
'use strict'

const { readFileSync } = require('node:fs')

/** True on a Linux whose C library is musl (Alpine), not glibc. */
function isMusl() {
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {
    // No ldd: ask the runtime which C library it was loaded with.
    const report = process.report?.getReport?.()
    return Boolean(report && report.header && !report.header.glibcVersionRuntime)
  }
}

/** The platform part of the package and file names, e.g. `linux-x64-gnu`. */
function platformName() {
  const { platform, arch } = process
  switch (platform) {
    case 'linux':
      return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
    case 'win32':
      // Official Node for Windows is an MSVC build; the addon speaks only Node-API, so
      // one binary serves it whichever toolchain built the addon.
      return `win32-${arch}-msvc`
    case 'darwin':
      return `darwin-${arch}`
    default:
      return `${platform}-${arch}`
  }
}

/** The platforms keyseat publishes an addon package for (@keyseat/<name>). */
const PUBLISHED = ['linux-x64-gnu', 'win32-x64-msvc', 'darwin-arm64', 'darwin-x64']

function load() {
  const tried = []
  const attempt = (what) => {
    try {
      return require(what)
    } catch (e) {
      tried.push(`${what}: ${e && e.message ? e.message.split('\n')[0] : e}`)
      return null
    }
  }
  if (process.env.KEYSEAT_NATIVE_LIBRARY_PATH) {
    const binding = attempt(process.env.KEYSEAT_NATIVE_LIBRARY_PATH)
    if (binding) return binding
  }
  const name = platformName()
  const binding = attempt(`./keyseat.${name}.node`) ?? attempt(`@keyseat/${name}`)
  if (binding) return binding
  const what = PUBLISHED.includes(name)
    ? `npm installs the addon of the platform it runs on (the optional dependency ` +
      `@keyseat/${name}): install again without --omit=optional or --no-optional; to ` +
      `package an app for another platform, install with npm install --os=<os> --cpu=<cpu> ` +
      `(npm 10.1 or later). In Electron, the .node file must be unpacked from the asar ` +
      `archive (asarUnpack, or electron-builder's smartUnpack).`
    : `keyseat publishes addons for ${PUBLISHED.join(', ')}, not for ${name}. Build one ` +
      `from source (with Rust: npm run build in the keyseat repository's crates/keyseat-node) ` +
      `and point KEYSEAT_NATIVE_LIBRARY_PATH at the .node file, or use licensectl or the C ` +
      `library, which build for more platforms.`
  throw new Error(`keyseat has no native addon for ${name} here. Tried:\n  ${tried.join('\n  ')}\n${what}`)
}

const binding = load()

module.exports.Licensor = binding.Licensor
module.exports.Watch = binding.Watch
