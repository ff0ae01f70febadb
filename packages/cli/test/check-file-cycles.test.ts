// scripts/check-file-cycles.mjs (run by `pnpm lint`): a runtime import cycle between files of a package's src is
// reported with its files; type-only imports, tests and other packages' files are not part of any cycle; this
// repository has none.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const SCRIPT = join(ROOT, 'scripts', 'check-file-cycles.mjs')
const made: string[] = []

function packagesWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'certus-file-cycles-'))
  made.push(dir)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}

const run = (dir: string) => spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8', timeout: 60_000 })

describe('check-file-cycles', () => {
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true })
  })

  it('reports a three-file cycle, with multi-line and re-export forms, naming its files', () => {
    const result = run(
      packagesWith({
        'a/src/index.ts': "export { one } from './one.js'\n",
        'a/src/one.ts': "import {\n  two,\n} from './two.js'\nexport const one = () => two()\n",
        'a/src/two.ts': "export * from './three.js'\nexport const two = () => 2\n",
        'a/src/three.ts': "import { one } from './one.js'\nexport const three = one\n",
      }),
    )
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('file cycle in a: src/one.ts ↔ src/three.ts ↔ src/two.ts')
  })

  it('ignores type-only imports, tests, and imports that leave src', () => {
    const result = run(
      packagesWith({
        'b/src/x.ts':
          "import type { Y } from './y.js'\nimport { type Z } from './z.js'\nexport const x = 1\n",
        'b/src/y.ts': "import { x } from './x.js'\nexport type Y = typeof x\n",
        'b/src/z.ts': "import { x } from './x.js'\nexport type Z = typeof x\n",
        'b/src/x.test.ts': "import { x } from './x.js'\nimport { y } from './y.js'\n",
      }),
    )
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })

  it('finds none in this repository', () => {
    const result = run(join(ROOT, 'packages'))
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })
})
