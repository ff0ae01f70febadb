import type { LoadHookSync, ResolveHookSync } from 'node:module'

/**
 * Module hooks for the executable's own chunks (start-up, issue 11). The `certus` executable is a set of ESM chunks
 * beside bin.js that import each other by `./chunk-….js`; `certus sign` loads ~40 of them. Node's general resolver
 * spends ~0.3 ms on each (URL parsing, a stat, a realpath, a walk up to package.json to learn the module format).
 * For a relative import from one chunk to another the answer is known: the file beside it, an ES module. Everything
 * else (Node built-ins, external packages, their CommonJS `require`s) goes through Node's own resolution unchanged.
 * A chunk that is missing still fails, when it is read.
 * @internal
 */
export function chunkHooks(directoryUrl: string): { resolve: ResolveHookSync; load: LoadHookSync } {
  const ownChunk = (url: string) => url.startsWith(directoryUrl) && url.endsWith('.js')
  return {
    resolve(specifier, context, nextResolve) {
      if (specifier.startsWith('./') && context.parentURL !== undefined && ownChunk(context.parentURL)) {
        const url = new URL(specifier, context.parentURL).href
        if (ownChunk(url)) return { url, format: 'module', shortCircuit: true }
      }
      return nextResolve(specifier, context)
    },
    load(url, context, nextLoad) {
      return nextLoad(url, ownChunk(url) ? { ...context, format: 'module' } : context)
    },
  }
}
