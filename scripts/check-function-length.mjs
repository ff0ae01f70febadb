#!/usr/bin/env node
// Fails when a library function in packages/*/src is longer than the limit (default 150 lines), so long factory
// closures get split into named steps. Tests (*.test.ts, __tests__, test-helpers) and the storage contract suite
// (packages/storage/src/testing.ts) are exempt. Uses the TypeScript compiler API: a function's length is the
// number of source lines from its first token to its closing brace, nested functions included.
//
// Usage: node scripts/check-function-length.mjs [--max N] [--top N]
//   --top N  also prints the N longest functions (for reports).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const index = args.indexOf(name)
  return index === -1 ? fallback : Number(args[index + 1])
}
const MAX_LINES = option('--max', 150)
const TOP = option('--top', 0)
const root = new URL('..', import.meta.url).pathname
const EXEMPT = new Set(['packages/storage/src/testing.ts'])

/**
 * Known debt, being split into named steps: `file:name` → the length it may not grow beyond. A function here that
 * shrinks under the limit must be removed from the list (the check says so), and nothing may be added to it.
 */
// Known debt (function → its length when recorded): none left. A new entry needs a reason in a comment.
const BASELINE = new Map()

function isTestFile(path) {
  return /\.test\.ts$|\/__tests__\/|\/test-helpers?\//.test(path)
}

function* sourceFiles(directory) {
  for (const name of readdirSync(directory)) {
    const path = join(directory, name)
    if (statSync(path).isDirectory()) yield* sourceFiles(path)
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) yield path
  }
}

function functionName(node, source) {
  if (node.name) return node.name.getText(source)
  if (ts.isConstructorDeclaration(node)) return 'constructor'
  const parent = node.parent
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(source)
  if (parent && (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)))
    return parent.name.getText(source)
  return '(anonymous)'
}

/** Every function-like node of a file with its line span. */
function measure(path) {
  const text = readFileSync(path, 'utf8')
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const found = []
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
      found.push({
        file: relative(root, path),
        line: start + 1,
        name: functionName(node, source),
        lines: end - start + 1,
      })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const functions = []
const packages = join(root, 'packages')
for (const name of readdirSync(packages)) {
  const src = join(packages, name, 'src')
  try {
    if (!statSync(src).isDirectory()) continue
  } catch {
    continue
  }
  for (const path of sourceFiles(src)) {
    const file = relative(root, path)
    if (isTestFile(file) || EXEMPT.has(file)) continue
    functions.push(...measure(path))
  }
}

functions.sort((a, b) => b.lines - a.lines)
if (TOP > 0) {
  for (const fn of functions.slice(0, TOP))
    console.log(`${String(fn.lines).padStart(5)}  ${fn.file}:${fn.line} ${fn.name}`)
}
const problems = []
for (const fn of functions) {
  const allowed = BASELINE.get(`${fn.file}:${fn.name}`)
  if (fn.lines <= MAX_LINES) continue
  if (allowed === undefined) problems.push(`  ${fn.file}:${fn.line} ${fn.name} (${fn.lines} lines)`)
  else if (fn.lines > allowed)
    problems.push(
      `  ${fn.file}:${fn.line} ${fn.name} grew to ${fn.lines} lines (known debt, at most ${allowed})`,
    )
}
for (const [key] of BASELINE) {
  const [file, name] = key.split(':')
  if (!functions.some((fn) => fn.file === file && fn.name === name && fn.lines > MAX_LINES))
    problems.push(`  ${key} is no longer over ${MAX_LINES} lines: remove it from BASELINE`)
}
const tooLong = problems
if (tooLong.length > 0) {
  console.error(
    `check-function-length: library functions over ${MAX_LINES} lines; split them into named steps:`,
  )
  for (const problem of tooLong) console.error(problem)
  process.exit(1)
}
const debt = BASELINE.size > 0 ? ` (${BASELINE.size} known, listed in BASELINE)` : ''
console.log(
  `check-function-length: ${functions.length} library functions, no new one over ${MAX_LINES} lines${debt}`,
)
