// scripts/check-exports.mjs (run by `pnpm lint`): a published package's main entry over 45 names (values and types,
// re-exports included) fails, subpaths and private packages are not budgeted, and this repository passes.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const SCRIPT = join(ROOT, 'scripts', 'check-exports.mjs')

interface Row {
  packageName: string
  entry: string
  count: number
  values: number
  types: number
}

function runChecker(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

const manifest = (name: string, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ name, version: '0.0.0', ...extra }, null, 2)}\n`
const exportsOf = (...subpaths: string[]) => ({
  exports: Object.fromEntries([
    ...subpaths.map((subpath) => [subpath, {}]),
    ['./package.json', './package.json'],
  ]),
})
/** `count` exported names, half values and half types. */
const names = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) =>
    index % 2 === 0
      ? `export const ${prefix}${index} = ${index}\n`
      : `export type ${prefix}${index} = number\n`,
  ).join('')

const FILES: Record<string, string> = {
  'tsconfig.base.json': JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [] },
  }),
  // 45 names: exactly the budget.
  'packages/small/package.json': manifest('@fixture/small', exportsOf('.')),
  'packages/small/src/index.ts': names('small', 45),
  // 40 of its own plus 6 re-exported from a module: 46, one over.
  'packages/big/package.json': manifest('@fixture/big', exportsOf('.', './extra')),
  'packages/big/src/index.ts': `${names('big', 40)}export * from './more.js'\n`,
  'packages/big/src/more.ts': names('more', 6),
  // A subpath may be larger: listed, not budgeted.
  'packages/big/src/extra.ts': names('extra', 60),
  // Private packages are never counted.
  'packages/tools/package.json': manifest('@fixture/tools', { private: true, ...exportsOf('.') }),
  'packages/tools/src/index.ts': names('tool', 80),
}

describe('scripts/check-exports.mjs', () => {
  const fixture = mkdtempSync(join(tmpdir(), 'certus-check-exports-'))

  beforeAll(() => {
    for (const [path, content] of Object.entries(FILES)) {
      mkdirSync(dirname(join(fixture, path)), { recursive: true })
      writeFileSync(join(fixture, path), content)
    }
  })

  afterAll(() => rmSync(fixture, { recursive: true, force: true }))

  it('counts values and types per entry point, re-exports included, and fails a main entry over 45', () => {
    const json = runChecker(['--root', fixture, '--json'])
    const rows = JSON.parse(json.stdout) as Row[]
    expect(
      rows.map(({ packageName, entry, count, values, types }) => [packageName, entry, count, values, types]),
    ).toEqual([
      ['@fixture/big', '.', 46, 23, 23],
      ['@fixture/big', './extra', 60, 30, 30],
      ['@fixture/small', '.', 45, 23, 22],
    ])
    expect(json.status).toBe(1)

    const table = runChecker(['--root', fixture])
    expect(table.status).toBe(1)
    expect(table.stdout).toMatch(/@fixture\/big\s+\.\s+46\s+23\s+23\s+OVER/)
    expect(table.stdout).toMatch(/@fixture\/big\s+\.\/extra\s+60\s+30\s+30\s+subpath/)
    expect(table.stdout).toMatch(/@fixture\/small\s+\.\s+45\s+23\s+22\s+ok/)
    expect(table.stderr).toContain(
      'packages/big/src/index.ts: [exports] @fixture/big exports 46 names (budget 45)',
    )
    expect(table.stderr).not.toContain('@fixture/small')
    expect(table.stdout).not.toContain('@fixture/tools')
  })

  it('passes on this repository', () => {
    const result = runChecker([])
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/check-exports: \d+ entry points, every main entry within 45 names/)
  })
})
