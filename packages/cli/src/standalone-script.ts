import { closeSync, fstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import nodeModule from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { debuglog } from 'node:util'
import { Script } from 'node:vm'
import { crc32 } from 'node:zlib'

// NODE_DEBUG=certus shows what happened to the cache (tests read it).
const debug = debuglog('certus')

/**
 * Loads one of the executable's CommonJS command bundles (see tsup.config.ts) through `vm.Script`, with a V8 code
 * cache that is written after the command has run (start-up, issue 11).
 *
 * Why not Node's module compile cache, which every other chunk uses: Node writes that cache when a module is
 * compiled, before it runs, so it holds the module's top level only. Every function a command calls is still
 * compiled on each run — for `certus sign` more of its time than loading its code. A `vm.Script`'s cache taken
 * after the run (`createCachedData()`) holds those functions too, so the next run deserialises them instead.
 *
 * The cache sits in Node's compile-cache directory (which already names the Node version and V8 flags; none when the
 * cache is off, e.g. `NODE_DISABLE_COMPILE_CACHE=1`), keyed by the bundle's CRC-32 and length. It is written once,
 * after a run that exits 0 (a failed run compiles only part of the command), atomically; V8 rejects a cache that does
 * not fit, and then the next successful run writes a new one. A cache file that another user owns is ignored (it
 * would be run as code). Any file-system failure only costs the cache.
 * @internal
 */
export function loadStandaloneScript<Exports>(url: URL): Exports {
  const path = fileURLToPath(url)
  const source = readFileSync(path)
  const cachePath = cachePathFor(source)
  const cachedData = cachePath === undefined ? undefined : readCache(cachePath)
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${source.toString('utf8')}\n})`,
    {
      filename: path,
      ...(cachedData ? { cachedData } : {}),
    },
  )
  debug('%s: code cache %s', path, cachePath === undefined ? 'off' : cacheState(cachedData, script))
  const module = { exports: {} as Exports }
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void
  wrapper(module.exports, nodeModule.createRequire(path), module, path, dirname(path))
  if (cachePath !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', (code) => {
      if (code === 0) writeCache(cachePath, script)
    })
  }
  return module.exports
}

function cachePathFor(source: Buffer): string | undefined {
  const directory = nodeModule.getCompileCacheDir?.()
  if (!directory) return undefined
  return join(directory, `certus-${crc32(source).toString(16)}-${source.length}.v8`)
}

function cacheState(cachedData: Buffer | undefined, script: Script): string {
  if (cachedData === undefined) return 'absent'
  return script.cachedDataRejected ? 'rejected' : 'accepted'
}

function readCache(path: string): Buffer | undefined {
  let descriptor: number | undefined
  try {
    descriptor = openSync(path, 'r')
    const owner = fstatSync(descriptor).uid
    if (process.getuid !== undefined && owner !== process.getuid()) return undefined
    return readFileSync(descriptor)
  } catch {
    return undefined
  } finally {
    if (descriptor !== undefined) closeSync(descriptor)
  }
}

function writeCache(path: string, script: Script): void {
  const temporary = `${path}.${process.pid}.tmp`
  try {
    writeFileSync(temporary, script.createCachedData(), { mode: 0o600 })
    renameSync(temporary, path)
    debug('wrote code cache %s', path)
  } catch {
    rmSync(temporary, { force: true })
  }
}
