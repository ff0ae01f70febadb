#!/usr/bin/env node
// Fails when a package's library code (src/, tests aside) has an import cycle between files. Cycles make module
// evaluation order matter (a value read before its module ran is undefined) and mean two files are one concept.
// Only imports that load code count: `import type` / `export type` vanish at build time.
//   node scripts/check-file-cycles.mjs [packages-dir]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(process.argv[2] ?? 'packages')

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.(ts|tsx|mts)$/.test(name) && !/\.(test|spec)\.ts$/.test(name) && !name.endsWith('.d.ts')
      ? [path]
      : []
  })
}

// `import … from './x.js'`, `export … from './x.js'`, `import('./x.js')`, `import './x.js'` — not type-only forms.
const IMPORT =
  /(?:^|[\s;])(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g

function resolveImport(from, specifier) {
  const base = resolve(dirname(from), specifier)
  const candidates = [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.js$/, '.tsx'),
    base,
    `${base}.ts`,
    join(base, 'index.ts'),
  ]
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile())
}

function edgesOf(file) {
  const text = readFileSync(file, 'utf8')
  const targets = new Set()
  for (const match of text.matchAll(IMPORT)) {
    if (match[2]) continue // import type / export type
    // `import { type A, type B } from` loads nothing either.
    const clause = match[0]
    if (
      /\{\s*(?:type\s+[\w$]+\s*(?:as\s+[\w$]+\s*)?,?\s*)+\}\s*from/.test(clause) &&
      !/import\s+[\w$]+\s*,/.test(clause)
    )
      continue
    const target = resolveImport(file, match[3] ?? match[4])
    if (target) targets.add(target)
  }
  return [...targets]
}

/** Tarjan's strongly connected components; returns the components with more than one file (or a self-import). */
function cycles(graph) {
  let index = 0
  const indices = new Map()
  const lowlinks = new Map()
  const stack = []
  const onStack = new Set()
  const found = []
  const visit = (node) => {
    indices.set(node, index)
    lowlinks.set(node, index)
    index += 1
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next)
        lowlinks.set(node, Math.min(lowlinks.get(node), lowlinks.get(next)))
      } else if (onStack.has(next)) lowlinks.set(node, Math.min(lowlinks.get(node), indices.get(next)))
    }
    if (lowlinks.get(node) === indices.get(node)) {
      const component = []
      let member
      do {
        member = stack.pop()
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component)
    }
  }
  for (const node of graph.keys()) if (!indices.has(node)) visit(node)
  return found
}

let failures = 0
for (const name of readdirSync(root).sort()) {
  const src = join(root, name, 'src')
  if (!existsSync(src)) continue
  const graph = new Map(sourceFiles(src).map((file) => [file, edgesOf(file)]))
  for (const component of cycles(graph)) {
    failures += 1
    console.error(
      `file cycle in ${name}: ${component
        .map((file) => relative(join(root, name), file))
        .sort()
        .join(' ↔ ')}`,
    )
  }
}
if (failures > 0) {
  console.error(`${failures} file-level import cycle(s): move the shared part into its own module`)
  process.exit(1)
}
console.log('file cycles: none')
