#!/usr/bin/env node
// The import rules of docs/architecture.md, enforced (`pnpm lint` runs this). For every workspace package
// (packages/*, examples/*) it reads every .ts/.mts/.cts/.js/.mjs/.cjs file outside node_modules and dist and checks:
//
//   undeclared       a bare import in runtime code (src/, test files excepted) is in the package's dependencies,
//                    peerDependencies or optionalDependencies, or is a `node:` builtin; test code (test/, bench/,
//                    scripts/, src/**/*.test.ts, __tests__/, test-helpers/) and tool configs (vitest.config.ts,
//                    tsup.config.ts) may also use devDependencies and the root's devDependencies (the shared
//                    toolchain: vitest, tsup, tinybench, tsx, typescript).
//   layer            a `@certus-trust/*` import respects LAYERS below: runtime code imports strictly lower layers
//                    only (no siblings); test code imports lower or same-layer packages (a sibling as a test
//                    collaborator, e.g. the signer's tests use the embedded log as witness), never a higher one. A
//                    test-support package (TEST_SUPPORT) counts at the layer of the highest package it pulls in.
//   declared-layer   the same rule over package.json: a workspace package in dependencies/peer/optional is in a
//                    strictly lower layer, one in devDependencies is not higher; a private package is never a
//                    runtime dependency of a published one.
//   relative         no relative import leaves its package (`../../other-package/src/x.js`); tool configs may
//                    import the repo root's shared config (vitest.shared.ts).
//   unused           every declared dependency is imported somewhere in the package, or is in UNUSED_ALLOWED with
//                    its reason (`@types/x` counts as used when `x` is imported).
//   unlisted         every workspace package has a layer in LAYERS.
//   doc              docs/architecture.md agrees with package.json: its "Layers" table equals LAYERS, and the
//                    arrows of its mermaid graphs equal the workspace dependencies (`a --> b`: b is in a's
//                    dependencies/peer/optional; `a -.-> b`: b is only in a's devDependencies). An arrow may
//                    point to or from a mermaid subgraph, meaning each of its members.
//
// Every violation is printed as `file:line: [rule] message`; the exit status is 1 when there is one.
// Usage: node scripts/check-imports.mjs [--root DIR] [--json]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/**
 * The layers, bottom up: the one definition (docs/architecture.md's "Layers" table is checked against it). A name
 * ending in `/*` matches a scope (`@example/*`: the examples).
 */
export const LAYERS = [
  { layer: 'primitives', packages: ['@certus-trust/core'] },
  { layer: 'protocol', packages: ['@certus-trust/log-protocol'] },
  { layer: 'foundations', packages: ['@certus-trust/rekor', '@certus-trust/storage', '@certus-trust/kms'] },
  { layer: 'storage backends', packages: ['@certus-trust/storage-sqlite', '@certus-trust/storage-postgres'] },
  {
    layer: 'domain',
    packages: [
      '@certus-trust/tlog',
      '@certus-trust/signer',
      '@certus-trust/verifier',
      '@certus-trust/kms-aws',
      '@certus-trust/kms-azure',
      '@certus-trust/kms-gcp',
      '@certus-trust/kms-vault',
    ],
  },
  { layer: 'service', packages: ['@certus-trust/service'] },
  { layer: 'server', packages: ['@certus-trust/server'] },
  // The CLI sits above the server: `certus serve` starts it through the exported `startServer(config)`.
  { layer: 'cli', packages: ['@certus-trust/cli'] },
  {
    layer: 'private',
    packages: [
      '@certus-trust/conformance',
      '@certus-trust/test-utils',
      '@certus-trust/kms-testing',
      '@example/*',
    ],
  },
]

/** Private packages that exist for tests: only test code imports them (through devDependencies). */
const TEST_SUPPORT = new Set(['@certus-trust/test-utils', '@certus-trust/kms-testing'])

/** Declared dependencies that no file imports, and why they are declared anyway. */
const UNUSED_ALLOWED = [
  // KMS providers: optional peers loaded by a computed name (`import(packageName)` in cli/src/kms.ts and
  // service/src/keys.ts, from the scheme table in kms/src/key-uri.ts); the devDependency links the workspace copy.
  ...['@certus-trust/cli', '@certus-trust/server', '@certus-trust/service'].flatMap((name) =>
    ['aws', 'azure', 'gcp', 'vault'].map((cloud) => ({
      package: name,
      dependency: `@certus-trust/kms-${cloud}`,
      reason: 'optional KMS provider peer, loaded by name',
    })),
  ),
  // Also loaded by a computed name (`const name = '@azure/identity'`), only when no credential is passed.
  {
    package: '@certus-trust/kms-azure',
    dependency: '@azure/identity',
    reason: 'optional peer, loaded by name',
  },
  // The `certus` executable bundles the workspace packages but keeps these external (packages/cli/tsup.config.ts):
  // the bundled signer/verifier/service import them, so the CLI must depend on them itself.
  ...['@sigstore/core', '@sigstore/protobuf-specs', '@sigstore/sign', '@sigstore/tuf'].map((dependency) => ({
    package: '@certus-trust/cli',
    dependency,
    reason: 'external of the bundled executable',
  })),
]

const RUNTIME_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies']
const ALL_FIELDS = [...RUNTIME_FIELDS, 'devDependencies']
const SKIP_DIRECTORIES = new Set(['node_modules', 'dist', 'test-results', 'coverage', '.turbo', '.certus'])
const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx)$/
const TEST_FILE = /\.test\.(?:[cm]?[jt]s|tsx)$|\/__tests__\/|\/test-helpers?\//
const BUILTINS = new Set(builtinModules)

/** A violation found by the checks. */
function violation(rule, file, line, message) {
  return { rule, file, line, message }
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'))
}

/** The workspace's package directories: the `dir/*` globs of pnpm-workspace.yaml. */
function workspaceDirectories(root) {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')
  const globs = [...yaml.matchAll(/^\s*-\s*["']?([\w.-]+)\/\*["']?\s*$/gm)].map((match) => match[1])
  return globs.flatMap((parent) =>
    existsSync(join(root, parent))
      ? readdirSync(join(root, parent))
          .map((name) => join(parent, name))
          .filter((dir) => existsSync(join(root, dir, 'package.json')))
          .sort()
      : [],
  )
}

function loadWorkspace(root) {
  const packages = workspaceDirectories(root).map((dir) => {
    const text = readFileSync(join(root, dir, 'package.json'), 'utf8')
    return { dir, manifest: JSON.parse(text), manifestText: text }
  })
  const byName = new Map(packages.map((pkg) => [pkg.manifest.name, pkg]))
  const rootDevDependencies = new Set(Object.keys(readJson(join(root, 'package.json')).devDependencies ?? {}))
  return { root, packages, byName, rootDevDependencies, stats: { files: 0, imports: 0 } }
}

function layerIndexOf(name) {
  return LAYERS.findIndex(({ packages }) =>
    packages.some((entry) => (entry.endsWith('/*') ? name.startsWith(entry.slice(0, -1)) : entry === name)),
  )
}

function declared(manifest, fields) {
  return new Set(fields.flatMap((field) => Object.keys(manifest[field] ?? {})))
}

/**
 * The layer a package counts at when test code imports it: its own, except for a test-support package, which counts
 * at the highest layer it pulls in at runtime (so `kms-testing`, built on the signer and the log, is for domain tests
 * and above; `test-utils`, built on nothing of ours, is for everyone).
 */
function testLayerIndexOf(workspace, name, seen = new Set()) {
  if (!TEST_SUPPORT.has(name)) return layerIndexOf(name)
  const pkg = workspace.byName.get(name)
  if (!pkg || seen.has(name)) return -1
  seen.add(name)
  const deps = [...declared(pkg.manifest, RUNTIME_FIELDS)].filter((dep) => workspace.byName.has(dep))
  return Math.max(-1, ...deps.map((dep) => testLayerIndexOf(workspace, dep, seen)))
}

/** Why importing `target` from `importer` breaks the layer order, or undefined when it does not. */
function layerProblem(workspace, importer, target, runtime) {
  const from = layerIndexOf(importer)
  const to = runtime ? layerIndexOf(target) : testLayerIndexOf(workspace, target)
  if (from === -1 || layerIndexOf(target) === -1) return undefined // reported as unlisted
  const names = `${importer} (${LAYERS[from].layer}) → ${target} (${LAYERS[layerIndexOf(target)].layer})`
  if (runtime && TEST_SUPPORT.has(target)) return `${names}: a test-support package, for test code only`
  if (to > from) return `${names}: a higher layer`
  if (runtime && to === from) return `${names}: a sibling in the same layer (only test code may use one)`
  return undefined
}

function* sourceFiles(directory) {
  for (const name of readdirSync(directory).sort()) {
    if (SKIP_DIRECTORIES.has(name)) continue
    const path = join(directory, name)
    if (statSync(path).isDirectory()) yield* sourceFiles(path)
    else if (SOURCE_FILE.test(name) && !/\.d\.[cm]?ts$/.test(name)) yield path
  }
}

/** 'config' for a tool config at the package root, 'runtime' for src/ outside tests, else 'test'. */
function fileKind(relativePath) {
  if (!relativePath.includes('/')) return 'config'
  if (relativePath.startsWith('src/') && !TEST_FILE.test(`/${relativePath}`)) return 'runtime'
  return 'test'
}

function lineAt(text, offset) {
  let line = 1
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1))
    line++
  return line
}

/**
 * Every module specifier of a file with its line: import/export-from, `import()` (also in types), `require()`
 * (TypeScript's own pre-processor), plus `createRequire(...)('x')` and `require.resolve('x')`.
 */
function specifiersOf(text) {
  const found = ts
    .preProcessFile(text, true, true)
    .importedFiles.map(({ fileName, pos }) => ({ specifier: fileName, line: lineAt(text, pos) }))
  for (const match of text.matchAll(/(?:createRequire\([^)]*\)|require\.resolve)\(\s*(['"])([^'"\n]+)\1/g))
    found.push({ specifier: match[2], line: lineAt(text, match.index) })
  return found
}

function packageNameOf(specifier) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** Checks one import of one file; returns the package it uses (for the unused check) and any violation. */
function checkSpecifier(workspace, pkg, file, { specifier, line }) {
  const { root } = workspace
  const name = pkg.manifest.name
  const kind = fileKind(relative(join(root, pkg.dir), file).split(sep).join('/'))
  const where = relative(root, file).split(sep).join('/')
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const target = resolve(dirname(file), specifier)
    const inside = !relative(join(root, pkg.dir), target).startsWith('..')
    const sharedConfig = kind === 'config' && dirname(target) === resolve(root)
    if (inside || sharedConfig) return {}
    return {
      problem: violation(
        'relative',
        where,
        line,
        `${name}: '${specifier}' leaves the package; import by name`,
      ),
    }
  }
  if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return {}
  const used = packageNameOf(specifier)
  if (used === name) return { used }
  const runtime = kind === 'runtime'
  const allowed = declared(pkg.manifest, runtime ? RUNTIME_FIELDS : ALL_FIELDS)
  if (!allowed.has(used) && (runtime || !workspace.rootDevDependencies.has(used))) {
    const devOnly = runtime && declared(pkg.manifest, ['devDependencies']).has(used)
    const fields = runtime ? 'dependencies, peerDependencies or optionalDependencies' : 'its package.json'
    const message = devOnly
      ? `${name}: runtime code imports ${used}, declared only in devDependencies`
      : `${name}: imports ${used}, not declared in ${fields}`
    return { used, problem: violation('undeclared', where, line, message) }
  }
  const problem = workspace.byName.has(used) ? layerProblem(workspace, name, used, runtime) : undefined
  return { used, problem: problem && violation('layer', where, line, problem) }
}

/** The line of `"dependency"` inside `"field": { … }` of a package.json text. */
function manifestLine(text, field, dependency) {
  const start = text.indexOf(`"${field}"`)
  const at = start === -1 ? -1 : text.indexOf(`"${dependency}"`, start)
  return at === -1 ? 1 : lineAt(text, at)
}

function checkManifest(workspace, pkg) {
  const { manifest, manifestText } = pkg
  const file = `${pkg.dir}/package.json`
  if (layerIndexOf(manifest.name) === -1)
    return [
      violation('unlisted', file, 1, `${manifest.name} has no layer in LAYERS (scripts/check-imports.mjs)`),
    ]
  const problems = []
  for (const field of ALL_FIELDS) {
    for (const dependency of Object.keys(manifest[field] ?? {})) {
      if (!workspace.byName.has(dependency)) continue
      const runtime = field !== 'devDependencies'
      let problem = layerProblem(workspace, manifest.name, dependency, runtime)
      if (!problem && runtime && !manifest.private && workspace.byName.get(dependency).manifest.private)
        problem = `${manifest.name} is published but depends on the private ${dependency}`
      if (problem)
        problems.push(
          violation(
            'declared-layer',
            file,
            manifestLine(manifestText, field, dependency),
            `${field}: ${problem}`,
          ),
        )
    }
  }
  return problems
}

function checkUnused(pkg, used) {
  const problems = []
  const name = pkg.manifest.name
  for (const field of ALL_FIELDS) {
    for (const dependency of Object.keys(pkg.manifest[field] ?? {})) {
      const typesOf = dependency.startsWith('@types/') ? dependency.slice('@types/'.length) : undefined
      const typesUsed = typesOf && (typesOf === 'node' || used.has(typesOf.replace(/^(.+)__(.+)$/, '@$1/$2')))
      const allowed = UNUSED_ALLOWED.some(
        (entry) => entry.package === name && entry.dependency === dependency,
      )
      if (used.has(dependency) || typesUsed || allowed) continue
      const line = manifestLine(pkg.manifestText, field, dependency)
      problems.push(
        violation(
          'unused',
          `${pkg.dir}/package.json`,
          line,
          `${name}: ${field} has ${dependency}, imported nowhere`,
        ),
      )
    }
  }
  return problems
}

function checkPackage(workspace, pkg) {
  const problems = checkManifest(workspace, pkg)
  const used = new Set()
  for (const file of sourceFiles(join(workspace.root, pkg.dir))) {
    workspace.stats.files++
    for (const found of specifiersOf(readFileSync(file, 'utf8'))) {
      workspace.stats.imports++
      const result = checkSpecifier(workspace, pkg, file, found)
      if (result.used) used.add(result.used)
      if (result.problem) problems.push(result.problem)
    }
  }
  return [...problems, ...checkUnused(pkg, used)]
}

/** The mermaid `graph`/`flowchart` blocks of a markdown text, each line with its line number. */
function mermaidGraphs(text) {
  const lines = text.split('\n')
  const graphs = []
  let current
  lines.forEach((content, index) => {
    if (/^```mermaid\s*$/.test(content)) current = { lines: [], line: index + 1 }
    else if (current && /^```\s*$/.test(content)) {
      if (/^\s*(?:graph|flowchart)\b/.test(current.lines[0]?.content ?? '')) graphs.push(current)
      current = undefined
    } else current?.lines.push({ content, line: index + 1 })
  })
  return graphs
}

const NODE = /([A-Za-z_][\w-]*)\s*\[\s*"?([^"\]]*)"?\s*\]/g
const EDGE = /^\s*([\w\s&-]+?)\s*(-->|-\.->)\s*(?:\|[^|]*\|\s*)?([\w\s&-]+?)\s*;?\s*$/

/** Node ids → package names, subgraph ids → member ids, and the arrows with their lines, over every graph. */
function parseGraphs(text) {
  const nodes = new Map()
  const subgraphs = new Map()
  const arrows = []
  const unreadable = []
  const graphs = mermaidGraphs(text)
  for (const graph of graphs) {
    const open = []
    for (const { content, line } of graph.lines.slice(1)) {
      const code = content.replace(/%%.*$/, '')
      const subgraph = /^\s*subgraph\s+([\w-]+)/.exec(code)
      if (subgraph) {
        subgraphs.set(subgraph[1], new Set())
        open.push(subgraph[1])
        continue
      }
      if (/^\s*end\s*$/.test(code)) {
        open.pop()
        continue
      }
      for (const [, id, label] of code.matchAll(NODE)) {
        const packageName = /@[\w-]+\/[\w.-]+/.exec(label)?.[0]
        if (packageName) nodes.set(id, packageName)
        for (const parent of open) subgraphs.get(parent).add(id)
      }
      const edge = EDGE.exec(code.replace(NODE, '$1'))
      if (edge) arrows.push({ from: edge[1], kind: edge[2], to: edge[3], line })
      else if (/--|-\.|==|~~/.test(code.replace(NODE, '$1'))) unreadable.push(line)
    }
  }
  return { nodes, subgraphs, arrows, unreadable, firstLine: graphs[0]?.line ?? 1 }
}

function expandIds(ids, subgraphs) {
  return ids
    .split('&')
    .map((id) => id.trim())
    .flatMap((id) => (subgraphs.has(id) ? [...subgraphs.get(id)] : [id]))
}

/** The workspace dependency arrows package.json implies: `a --> b` runtime, `a -.-> b` devDependencies only. */
function manifestArrows(workspace) {
  const arrows = new Map()
  for (const { manifest, dir } of workspace.packages) {
    const runtime = declared(manifest, RUNTIME_FIELDS)
    for (const dependency of declared(manifest, ALL_FIELDS)) {
      if (!workspace.byName.has(dependency)) continue
      const kind = runtime.has(dependency) ? '-->' : '-.->'
      arrows.set(`${manifest.name} ${kind} ${dependency}`, `${dir}/package.json`)
    }
  }
  return arrows
}

/** The "Layers" table: rows `| layer | \`core\`, … | …` under a `## Layers` heading. */
function documentedLayers(text) {
  const section = text.split(/^## Layers\s*$/m)[1]?.split(/^## /m)[0] ?? ''
  return section
    .split('\n')
    .filter((row) => /^\|/.test(row) && !/^\|\s*-/.test(row))
    .slice(1)
    .map((row) => {
      const [layer, packages] = row.split('|').slice(1, 3)
      const names = [...(packages ?? '').matchAll(/`([^`]+)`/g)].map(([, name]) =>
        name.startsWith('@') ? name : `@certus-trust/${name}`,
      )
      return { layer: (layer ?? '').trim(), packages: names, line: lineAt(text, text.indexOf(row)) }
    })
}

function checkDocLayers(workspace, text, file) {
  const documented = documentedLayers(text)
  const problems = []
  const present = (entry) =>
    entry.endsWith('/*')
      ? workspace.packages.some((pkg) => pkg.manifest.name.startsWith(entry.slice(0, -1)))
      : true
  LAYERS.forEach(({ layer, packages }, index) => {
    const expected = packages.filter(
      (entry) => workspace.byName.has(entry) || (entry.endsWith('/*') && present(entry)),
    )
    const row = documented[index]
    const same =
      row?.layer === layer &&
      row.packages.length === expected.length &&
      expected.every((p) => row.packages.includes(p))
    if (!same)
      problems.push(
        violation(
          'doc',
          file,
          row?.line ?? 1,
          `"Layers" row ${index + 1} should be ${layer}: ${expected.join(', ')} (as in LAYERS of scripts/check-imports.mjs)`,
        ),
      )
  })
  if (documented.length > LAYERS.length)
    problems.push(
      violation('doc', file, documented[LAYERS.length].line, '"Layers" has more rows than LAYERS'),
    )
  return problems
}

function checkDocArrows(workspace, text, file) {
  const { nodes, subgraphs, arrows, unreadable, firstLine } = parseGraphs(text)
  const problems = unreadable.map((line) =>
    violation(
      'doc',
      file,
      line,
      'an arrow this check cannot read: write `a --> b`, `a -.-> b` (`a & b`, `-->|label|`)',
    ),
  )
  const drawn = new Map()
  for (const arrow of arrows) {
    for (const from of expandIds(arrow.from, subgraphs)) {
      for (const to of expandIds(arrow.to, subgraphs)) {
        const [a, b] = [nodes.get(from), nodes.get(to)]
        if (!a || !b) {
          const unknown = a ? to : from
          problems.push(
            violation('doc', file, arrow.line, `arrow uses '${unknown}', which names no package node`),
          )
        } else drawn.set(`${a} ${arrow.kind} ${b}`, arrow.line)
      }
    }
  }
  const expected = manifestArrows(workspace)
  for (const [arrow, manifestFile] of expected)
    if (!drawn.has(arrow))
      problems.push(violation('doc', file, firstLine, `missing arrow ${arrow} (from ${manifestFile})`))
  for (const [arrow, line] of drawn)
    if (!expected.has(arrow))
      problems.push(violation('doc', file, line, `arrow ${arrow} is not in package.json`))
  const drawnNames = new Set(nodes.values())
  for (const { manifest, dir } of workspace.packages)
    if (!drawnNames.has(manifest.name))
      problems.push(
        violation('doc', file, firstLine, `no node for ${manifest.name} (${dir}) in the package graph`),
      )
  return problems
}

function checkDoc(workspace) {
  const file = 'docs/architecture.md'
  const path = join(workspace.root, file)
  if (!existsSync(path)) return [violation('doc', file, 1, 'missing')]
  const text = readFileSync(path, 'utf8')
  return [...checkDocLayers(workspace, text, file), ...checkDocArrows(workspace, text, file)]
}

/** Runs every check over the workspace at `root`: the violations, sorted by file and line, and what was read. */
export function checkImports(root) {
  const workspace = loadWorkspace(root)
  const problems = [
    ...workspace.packages.flatMap((pkg) => checkPackage(workspace, pkg)),
    ...checkDoc(workspace),
  ]
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
  return { problems, packages: workspace.packages.length, ...workspace.stats }
}

function main(args) {
  const rootIndex = args.indexOf('--root')
  const root = resolve(rootIndex === -1 ? fileURLToPath(new URL('..', import.meta.url)) : args[rootIndex + 1])
  const { problems, packages, files, imports } = checkImports(root)
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify({ violations: problems }, null, 2)}\n`)
  else {
    for (const { file, line, rule, message } of problems)
      console.error(`${file}:${line}: [${rule}] ${message}`)
    if (problems.length > 0)
      console.error(`check-imports: ${problems.length} violation(s); the rules are in docs/architecture.md`)
    else console.log(`check-imports: ${packages} packages, ${files} files, ${imports} imports: no violation`)
  }
  process.exitCode = problems.length > 0 ? 1 : 0
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main(process.argv.slice(2))
