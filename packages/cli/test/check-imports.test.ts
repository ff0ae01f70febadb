// scripts/check-imports.mjs (run by `pnpm lint`): every kind of violation is found in a small workspace built for the
// purpose, nothing else is, and this repository has none.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const SCRIPT = join(ROOT, 'scripts', 'check-imports.mjs')

interface Violation {
  rule: string
  file: string
  line: number
  message: string
}

function runChecker(args: string[]): { status: number | null; violations: Violation[]; stderr: string } {
  const result = spawnSync(process.execPath, [SCRIPT, ...args, '--json'], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  const { violations } = JSON.parse(result.stdout) as { violations: Violation[] }
  return { status: result.status, violations, stderr: result.stderr }
}

const manifest = (name: string, fields: Record<string, Record<string, string>> = {}, extra = {}) =>
  `${JSON.stringify({ name, version: '0.0.0', ...extra, ...fields }, null, 2)}\n`

/** The fixture workspace: path → content. Line numbers asserted below refer to these texts. */
const FILES: Record<string, string> = {
  'package.json': manifest('fixture-root', { devDependencies: { vitest: '5.1.1' } }, { private: true }),
  'pnpm-workspace.yaml': 'packages:\n  - "packages/*"\n',
  // core (primitives) imports rekor (foundations): upward, in the code and in package.json.
  'packages/core/package.json': manifest('@certus-trust/core', {
    dependencies: { '@certus-trust/rekor': '*' },
  }),
  'packages/core/src/index.ts': "import { client } from '@certus-trust/rekor'\nexport const core = client\n",
  'packages/rekor/package.json': manifest('@certus-trust/rekor', {
    dependencies: { pg: '*' },
    devDependencies: {
      msw: '*',
      '@types/pg': '*',
      '@certus-trust/signer': '*',
      '@certus-trust/kms-testing': '*',
    },
  }),
  // Line 2: ky is declared nowhere; line 3: msw only as a devDependency; pg is declared (its @types/pg is used).
  'packages/rekor/src/index.ts':
    "import { readFile } from 'node:fs/promises'\nimport ky from 'ky'\nimport { http } from 'msw'\nimport pg from 'pg'\nexport const client = [readFile, ky, http, pg]\n",
  // Tests: vitest comes from the root toolchain; fast-check is declared nowhere; the signer is a higher layer; the
  // KMS test kit is built on the signer, so it is too; a relative import inside the package is fine.
  'packages/rekor/test/client.test.ts': [
    "import { it } from 'vitest'",
    "import fc from 'fast-check'",
    "import { sign } from '@certus-trust/signer'",
    "import { fakeKms } from '@certus-trust/kms-testing'",
    "import { client } from '../src/index.js'",
    'export const use = [it, fc, sign, fakeKms, client]',
    '',
  ].join('\n'),
  'packages/tlog/package.json': manifest('@certus-trust/tlog', {
    dependencies: { '@certus-trust/core': '*' },
    devDependencies: { '@certus-trust/signer': '*', '@certus-trust/kms-testing': '*' },
  }),
  'packages/tlog/src/index.ts': "export { core } from '@certus-trust/core'\n",
  // A sibling and the KMS test kit are fine in a domain package's tests.
  'packages/tlog/test/log.test.ts':
    "import { sign } from '@certus-trust/signer'\nimport { fakeKms } from '@certus-trust/kms-testing'\nexport const use = [sign, fakeKms]\n",
  // signer imports its sibling tlog at runtime (line 1), reaches into tlog's folder (line 2), never uses zod.
  'packages/signer/package.json': manifest('@certus-trust/signer', {
    dependencies: { '@certus-trust/tlog': '*', zod: '*' },
  }),
  'packages/signer/src/index.ts':
    "import { core } from '@certus-trust/tlog'\nimport { use } from '../../tlog/test/log.test.js'\nexport const sign = [core, use]\n",
  'packages/kms-testing/package.json': manifest(
    '@certus-trust/kms-testing',
    { dependencies: { '@certus-trust/signer': '*' } },
    { private: true },
  ),
  'packages/kms-testing/src/index.ts': "export { sign as fakeKms } from '@certus-trust/signer'\n",
  // A package nobody put in a layer.
  'packages/extra/package.json': manifest('@certus-trust/extra'),
  'packages/extra/src/index.ts': 'export const extra = 1\n',
  'docs/architecture.md': [
    '# Architecture', // 1
    '',
    '```mermaid', // 3
    'graph TD',
    '  core["@certus-trust/core"]',
    '  rekor["@certus-trust/rekor"]',
    '  tlog["@certus-trust/tlog"]',
    '  signer["@certus-trust/signer"]',
    '  kt["@certus-trust/kms-testing"]',
    '  extra["@certus-trust/extra"]',
    '  core --> rekor',
    '  tlog --> core & rekor', // 12: tlog --> rekor is not in package.json
    '  signer --> tlog',
    '  kt --> signer',
    '  rekor -.-> signer & kt',
    '  tlog -.-> kt', // tlog -.-> signer is missing
    '  extra ==> core', // 17: a thick arrow, which the check does not read
    '```',
    '',
    '## Layers',
    '',
    '| Layer | Packages |',
    '|---|---|',
    '| primitives | `core` |',
    '| protocol | |',
    '| foundations | `rekor` |',
    '| storage backends | |',
    '| domain | `tlog` |', // 28: signer is missing
    '| service | |',
    '| server | |',
    '| cli | |',
    '| private | `kms-testing` |',
    '',
  ].join('\n'),
}

describe('scripts/check-imports.mjs', () => {
  let fixture: string
  beforeAll(() => {
    fixture = mkdtempSync(join(tmpdir(), 'check-imports-'))
    for (const [path, content] of Object.entries(FILES)) {
      mkdirSync(dirname(join(fixture, path)), { recursive: true })
      writeFileSync(join(fixture, path), content)
    }
  })
  afterAll(() => rmSync(fixture, { recursive: true, force: true }))

  const EXPECTED: Array<[rule: string, file: string, line: number, message: RegExp]> = [
    [
      'layer',
      'packages/core/src/index.ts',
      1,
      /core \(primitives\) → @certus-trust\/rekor \(foundations\): a higher/,
    ],
    [
      'declared-layer',
      'packages/core/package.json',
      5,
      /^dependencies: .*rekor \(foundations\): a higher layer/,
    ],
    ['undeclared', 'packages/rekor/src/index.ts', 2, /imports ky, not declared in dependencies/],
    [
      'undeclared',
      'packages/rekor/src/index.ts',
      3,
      /runtime code imports msw, declared only in devDependencies/,
    ],
    ['undeclared', 'packages/rekor/test/client.test.ts', 2, /imports fast-check, not declared/],
    ['layer', 'packages/rekor/test/client.test.ts', 3, /→ @certus-trust\/signer \(domain\): a higher layer/],
    [
      'layer',
      'packages/rekor/test/client.test.ts',
      4,
      /→ @certus-trust\/kms-testing \(private\): a higher layer/,
    ],
    [
      'declared-layer',
      'packages/rekor/package.json',
      10,
      /^devDependencies: .*signer \(domain\): a higher layer/,
    ],
    [
      'declared-layer',
      'packages/rekor/package.json',
      11,
      /^devDependencies: .*kms-testing .*: a higher layer/,
    ],
    [
      'layer',
      'packages/signer/src/index.ts',
      1,
      /→ @certus-trust\/tlog \(domain\): a sibling in the same layer/,
    ],
    [
      'relative',
      'packages/signer/src/index.ts',
      2,
      /'\.\.\/\.\.\/tlog\/test\/log\.test\.js' leaves the package/,
    ],
    ['declared-layer', 'packages/signer/package.json', 5, /^dependencies: .*tlog \(domain\): a sibling/],
    ['unused', 'packages/signer/package.json', 6, /dependencies has zod, imported nowhere/],
    ['unlisted', 'packages/extra/package.json', 1, /@certus-trust\/extra has no layer/],
    [
      'doc',
      'docs/architecture.md',
      12,
      /arrow @certus-trust\/tlog --> @certus-trust\/rekor is not in package\.json/,
    ],
    ['doc', 'docs/architecture.md', 3, /missing arrow @certus-trust\/tlog -\.-> @certus-trust\/signer/],
    ['doc', 'docs/architecture.md', 17, /an arrow this check cannot read/],
    [
      'doc',
      'docs/architecture.md',
      28,
      /"Layers" row 5 should be domain: @certus-trust\/tlog, @certus-trust\/signer/,
    ],
  ]

  it('reports each violation of the fixture with its file and line, and nothing else', () => {
    const { status, violations } = runChecker(['--root', fixture])
    expect(status).toBe(1)
    for (const [rule, file, line, message] of EXPECTED) {
      const found = violations.filter((v) => v.rule === rule && v.file === file && v.line === line)
      expect(
        found.some((v) => message.test(v.message)),
        `${rule} ${file}:${line} ${message} in ${JSON.stringify(found)}`,
      ).toBe(true)
    }
    expect(violations).toHaveLength(EXPECTED.length)
  })

  it('prints file:line: [rule] lines and exits 1 without --json', () => {
    const result = spawnSync(process.execPath, [SCRIPT, '--root', fixture], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain(
      'packages/rekor/src/index.ts:2: [undeclared] @certus-trust/rekor: imports ky',
    )
    expect(result.stderr).toContain(`check-imports: ${EXPECTED.length} violation(s)`)
  })

  it('finds no violation in this repository', () => {
    const { status, violations } = runChecker([])
    expect(violations).toEqual([])
    expect(status).toBe(0)
  })
})
