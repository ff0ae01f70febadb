#!/usr/bin/env node
// The export budget (STYLE.md §2: "keep the surface small, ≤ ~45 names"), enforced (`pnpm lint` runs this). For every
// published workspace package it counts the names each entry point exports — values AND types, as the TypeScript
// checker sees them (`getExportsOfModule`), so `export *` and re-exports count — and prints one table. An entry point
// is a key of package.json `exports` other than `./package.json`, read from the TypeScript source it is built from
// (`.` → src/index.ts, `./x` → src/x.ts). The main entry (`.`) of a package may export at most BUDGET names;
// subpaths are printed, not budgeted (they are deliberate, loaded only by their users).
//
// Exit status 1 when a main entry is over budget and its package is not in OVER_BUDGET, or when OVER_BUDGET lists a
// package that is within budget again (so the list only shrinks).
// Usage: node scripts/check-exports.mjs [--root DIR] [--json]
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/** The most names a published package's main entry may export. */
export const BUDGET = 45

/**
 * Packages allowed over budget while a reduction is under way, each with its reason (`['@certus-trust/x', 'why']`).
 * Each entry is temporary: the check fails once the package is within budget, so remove it then. Empty since issue 10.
 */
const OVER_BUDGET = new Map([])

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'))
}

/** Published workspace packages (packages/*, not private) with their entry points' source files. */
function publishedEntries(root) {
  const entries = []
  const parent = join(root, 'packages')
  for (const name of readdirSync(parent).sort()) {
    const dir = join(parent, name)
    if (!existsSync(join(dir, 'package.json'))) continue
    const manifest = readJson(join(dir, 'package.json'))
    if (manifest.private) continue
    for (const key of Object.keys(manifest.exports ?? { '.': {} })) {
      if (key === './package.json') continue
      const source = join(dir, 'src', key === '.' ? 'index.ts' : `${key.slice(2)}.ts`)
      entries.push({ packageName: manifest.name, entry: key, source })
    }
  }
  return entries
}

/** Counts each entry's exported names (values and types) with one program over every entry. */
function countExports(root, entries) {
  const { config } = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile)
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root)
  const program = ts.createProgram({
    rootNames: entries.map(({ source }) => source),
    options: { ...options, noEmit: true },
  })
  const checker = program.getTypeChecker()
  return entries.map((item) => {
    const file = program.getSourceFile(item.source)
    const symbol = file && checker.getSymbolAtLocation(file)
    if (!symbol) return { ...item, count: undefined, values: 0, types: 0 }
    const names = checker.getExportsOfModule(symbol)
    const isValue = (exported) => {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      return (target.flags & ts.SymbolFlags.Value) !== 0
    }
    const values = names.filter(isValue).length
    return { ...item, count: names.length, values, types: names.length - values }
  })
}

function verdict(row) {
  if (row.entry !== '.') return 'subpath'
  if (row.count === undefined) return 'MISSING'
  const over = row.count > BUDGET
  if (over) return OVER_BUDGET.has(row.packageName) ? 'over (allowed)' : 'OVER'
  return OVER_BUDGET.has(row.packageName) ? 'ok (remove from OVER_BUDGET)' : 'ok'
}

function printTable(rows) {
  const header = ['package', 'entry', 'names', 'values', 'types', `budget ${BUDGET}`]
  const lines = rows.map((row) => [
    row.packageName,
    row.entry,
    String(row.count ?? '?'),
    String(row.values),
    String(row.types),
    verdict(row),
  ])
  const widths = header.map((title, index) =>
    Math.max(title.length, ...lines.map((line) => line[index].length)),
  )
  const format = (cells) => cells.map((cell, index) => cell.padEnd(widths[index])).join('  ')
  console.log(format(header))
  for (const line of lines) console.log(format(line))
  for (const [name, reason] of OVER_BUDGET) console.log(`allowed over budget for now: ${name} (${reason})`)
}

function main() {
  const args = process.argv.slice(2)
  const rootIndex = args.indexOf('--root')
  const root = resolve(
    rootIndex === -1 ? join(dirname(fileURLToPath(import.meta.url)), '..') : args[rootIndex + 1],
  )
  const rows = countExports(root, publishedEntries(root))
  const json = args.includes('--json')
  if (json) console.log(JSON.stringify(rows, null, 2))
  else printTable(rows)
  const failing = rows.filter((row) =>
    ['OVER', 'MISSING', 'ok (remove from OVER_BUDGET)'].includes(verdict(row)),
  )
  process.exitCode = failing.length === 0 ? 0 : 1
  for (const row of failing) {
    const where = relative(root, row.source)
    if (verdict(row) === 'MISSING')
      console.error(`${where}: [exports] ${row.packageName}: entry source not found`)
    else if (verdict(row) === 'OVER')
      console.error(`${where}: [exports] ${row.packageName} exports ${row.count} names (budget ${BUDGET})`)
    else console.error(`${where}: [exports] ${row.packageName} is within budget: remove it from OVER_BUDGET`)
  }
  if (json) return
  console.log(
    failing.length === 0
      ? `check-exports: ${rows.length} entry points, every main entry within ${BUDGET} names (or allowed)`
      : `check-exports: ${failing.length} problem(s)`,
  )
}

main()
