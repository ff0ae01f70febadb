import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Alias } from 'vite'
import { defineConfig, type ViteUserConfig } from 'vitest/config'

const root = dirname(fileURLToPath(import.meta.url))

interface Manifest {
  name: string
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}

const readManifest = (directory: string): Manifest =>
  JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as Manifest

/** Every workspace package under packages/ with sources: name → directory. */
function workspacePackages(): Map<string, string> {
  const packages = new Map<string, string>()
  for (const name of readdirSync(join(root, 'packages'))) {
    const directory = join(root, 'packages', name)
    if (existsSync(join(directory, 'src', 'index.ts'))) packages.set(readManifest(directory).name, directory)
  }
  return packages
}

const runtimeDependencies = (manifest: Manifest): string[] =>
  Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies })

/**
 * The workspace packages a package's tests can reach through node_modules: the package itself, its declared
 * dependencies of every kind, and, transitively, their runtime dependencies.
 */
function reachablePackages(packageDirectory: string, packages: Map<string, string>): Set<string> {
  const manifest = readManifest(packageDirectory)
  const reachable = new Set<string>([manifest.name])
  const queue = [...runtimeDependencies(manifest), ...Object.keys(manifest.devDependencies ?? {})]
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const directory = packages.get(name)
    if (!directory || reachable.has(name)) continue
    reachable.add(name)
    queue.push(...runtimeDependencies(readManifest(directory)))
  }
  return reachable
}

/**
 * Resolve `@certus-trust/<name>` (and `@certus-trust/<name>/<subpath>`) to the package's TypeScript sources, so a
 * package's tests run against its dependencies' current code without a build step. Only the workspace packages the
 * calling package can reach through its package.json get an alias (itself, what it declares, and their runtime
 * dependencies): a test importing anything else fails to resolve, and scripts/check-imports.mjs reports an import of
 * a package the test's own package.json does not declare. Subpath exports map to `src/<subpath>.ts`
 * (e.g. `@certus-trust/storage/testing` → `src/testing.ts`).
 *
 * @param configUrl the calling vitest.config.ts's `import.meta.url`
 */
export function workspaceAliases(configUrl: string): Alias[] {
  const packages = workspacePackages()
  const aliases: Alias[] = []
  for (const name of reachablePackages(dirname(fileURLToPath(configUrl)), packages)) {
    const directory = packages.get(name)
    if (!directory) continue
    const src = join(directory, 'src')
    const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    aliases.push({ find: new RegExp(`^${escaped}/(.+)$`), replacement: `${src}/$1.ts` })
    aliases.push({ find: new RegExp(`^${escaped}$`), replacement: join(src, 'index.ts') })
  }
  return aliases
}

export const repoRoot = root

/** Per-package test settings that differ from the shared ones. */
export interface PackageTestOptions {
  /** Default 30 s. */
  testTimeout?: number
  /** vitest's default (10 s) when unset. */
  hookTimeout?: number
}

/**
 * The vitest config every package and example uses: sources aliased to the workspace ({@link workspaceAliases}),
 * tests in `src/**\/*.test.ts` and `test/**\/*.test.ts`, and a JSON report in `test-results/vitest.json` that
 * scripts/test-summary.mjs adds up after `pnpm test`.
 *
 * @param configUrl the calling vitest.config.ts's `import.meta.url`
 * @example
 * export default packageTestConfig(import.meta.url, { testTimeout: 60_000 })
 */
export function packageTestConfig(configUrl: string, options: PackageTestOptions = {}): ViteUserConfig {
  return defineConfig({
    resolve: { alias: workspaceAliases(configUrl) },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 30_000,
      ...(options.hookTimeout === undefined ? {} : { hookTimeout: options.hookTimeout }),
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    },
  })
}
