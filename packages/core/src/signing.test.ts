import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as signature from './signature.js'
import * as signing from './signing.js'

/** Every module specifier `entry` reaches through its static imports (relative ones followed, others listed). */
function staticImports(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    const text = readFileSync(file, 'utf8')
    // Value imports and re-exports only: `import type` / `export type` vanish when compiled.
    for (const [, specifier] of text.matchAll(/^(?:import|export) (?!type )[^'"]*?from '([^']+)'/gm)) {
      if (specifier!.startsWith('.')) visit(join(dirname(file), specifier!.replace(/\.js$/, '.ts')))
      else packages.add(specifier!)
    }
  }
  visit(entry)
  return { files: [...files], packages: [...packages] }
}

describe('@certus-trust/core/signing', () => {
  it('loads no @noble module: signing never builds a curve (start-up of certus sign)', () => {
    const { files, packages } = staticImports(join(dirname(fileURLToPath(import.meta.url)), 'signing.ts'))
    expect(files.length).toBeGreaterThan(3)
    expect(packages.filter((name) => name.startsWith('@noble/'))).toEqual([])
    // The check itself sees the curve library where it is imported.
    const full = staticImports(join(dirname(fileURLToPath(import.meta.url)), 'signature.ts'))
    expect(full.packages).toContain('@noble/curves/nist.js')
  })

  it('exports the same functions as ./signature', () => {
    for (const [name, value] of Object.entries(signing)) expect(signature).toHaveProperty(name, value)
  })
})
