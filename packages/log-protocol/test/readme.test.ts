import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

// Runs every ```js example of the README. Snippets are written to a dot directory (outside tsconfig and the test
// globs) so vitest transforms them and resolves '@certus-trust/log-protocol' to this package's sources.
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const snippetDir = join(packageDir, '.readme-snippets')
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8')
const snippets = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!)

beforeAll(() => mkdirSync(snippetDir, { recursive: true }))
afterAll(() => rmSync(snippetDir, { recursive: true, force: true }))

describe('README examples', () => {
  it('has a runnable example for the main entry and for /entries', () => {
    expect(snippets.some((code) => code.includes("from '@certus-trust/log-protocol'"))).toBe(true)
    expect(snippets.some((code) => code.includes("from '@certus-trust/log-protocol/entries'"))).toBe(true)
  })

  it.each(snippets.map((code, index) => [index, code] as const))('snippet %i runs', async (index, code) => {
    const file = join(snippetDir, `snippet-${index}.ts`)
    writeFileSync(file, `${code}\nexport {}\n`)
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      await import(/* @vite-ignore */ file)
      // The printed result is the one the README shows after `→` (when it shows one).
      const shown = /\/\/ → (.*)\n/.exec(code)?.[1]
      expect(log).toHaveBeenCalled()
      if (shown !== undefined) {
        const { inspect } = await import('node:util')
        expect(
          log.mock.calls[0]!.map((value) => inspect(value, { breakLength: Number.POSITIVE_INFINITY })).join(
            ' ',
          ),
        ).toBe(shown)
      }
    } finally {
      log.mockRestore()
    }
  })
})
