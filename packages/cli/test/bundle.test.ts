import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN } from './helpers.js'

/*
 * The `certus` executable is bundled (tsup.config.ts): these checks keep it runnable once published. Its chunks
 * are the files built with the executable's banner; the library entry (index.js) and its chunks are not bundled.
 */
const DIST = dirname(BIN)
const chunks = readdirSync(DIST)
  .filter((name) => name.endsWith('.js'))
  .map((name) => ({ name, text: readFileSync(join(DIST, name), 'utf8') }))
  .filter(({ text }) => text.includes('__certusRequire'))
const manifest = JSON.parse(readFileSync(join(DIST, '..', 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}
const declared = new Set([
  ...Object.keys(manifest.dependencies ?? {}),
  ...Object.keys(manifest.peerDependencies ?? {}),
])

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`), or undefined for a relative one. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

describe('the bundled certus executable', () => {
  it('is built as chunks beside bin.js', () => {
    expect(chunks.map(({ name }) => name)).toContain('bin.js')
    expect(chunks.length).toBeGreaterThan(5)
  })

  it('loads every file it locates with new URL(…, import.meta.url) from beside its chunks', () => {
    // `.ts` targets are the sources' branch for tests under tsx (`import.meta.url` ending in .ts): never taken here.
    const located = chunks.flatMap(({ name, text }) =>
      [...text.matchAll(/new URL\("(\.\/[^"]+\.js)",/g)].map((match) => ({ name, file: match[1] as string })),
    )
    // The signer's thread body (signing-worker.js) at least: a bundled library that loads a file by path needs
    // that file in this package's dist, or `certus serve` fails at run time.
    expect(located.map(({ file }) => file)).toContain('./signing-worker.js')
    expect(located.map(({ file }) => file)).toContain('./verify-worker.js')
    for (const { name, file } of located) expect(existsSync(join(DIST, file)), `${name}: ${file}`).toBe(true)
  })

  it('imports only Node built-ins and packages this package declares', () => {
    const builtins = new Set(builtinModules)
    const external = new Set<string>()
    const undeclared = new Set<string>()
    for (const { text } of chunks) {
      // Static imports (one per line in esbuild's output), import() and require() of a literal name.
      const specifiers = text.matchAll(
        /(?:^import[^"\n]*from\s*|\bimport\(|\brequire\()"([@\w][\w.\-/@]*)"/gm,
      )
      for (const [, specifier] of specifiers) {
        const name = packageOf(specifier as string)
        if (name === undefined || builtins.has(name)) continue
        external.add(name)
        if (!declared.has(name)) undeclared.add(name)
      }
    }
    // What tsup.config.ts keeps external is found (so this scan sees imports), and each is declared.
    expect([...external]).toEqual(
      expect.arrayContaining(['@sigstore/bundle', '@certus-trust/storage-postgres', 'pg']),
    )
    expect([...undeclared]).toEqual([])
  })
})
