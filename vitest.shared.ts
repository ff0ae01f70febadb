import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Alias } from 'vite'

const root = dirname(fileURLToPath(import.meta.url))

/**
 * Resolve `@certus-trust/<name>` (and `@certus-trust/<name>/<subpath>`) to the package's TypeScript
 * sources, so a package's tests run against its dependencies' current code without a build step.
 * Subpath exports map to `src/<subpath>.ts` (e.g. `@certus-trust/storage/testing` → `src/testing.ts`).
 */
export function workspaceAliases(): Alias[] {
  const aliases: Alias[] = []
  for (const name of readdirSync(join(root, 'packages'))) {
    const src = join(root, 'packages', name, 'src')
    if (!existsSync(join(src, 'index.ts'))) continue
    aliases.push({ find: new RegExp(`^@certus-trust/${name}/(.+)$`), replacement: `${src}/$1.ts` })
    aliases.push({ find: new RegExp(`^@certus-trust/${name}$`), replacement: join(src, 'index.ts') })
  }
  return aliases
}

export const repoRoot = root
