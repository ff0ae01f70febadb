// What an adopter's TypeScript meets: every published package packed as npm would publish it, installed from the
// tarballs into a fresh project (flat npm layout), and every public entry point imported and type-checked with
// `strict` and WITHOUT `skipLibCheck`, under both `nodenext` and `bundler` resolution. Any declaration that leaks a
// type from a package the consumer does not get (an optional peer, a dev dependency, @sigstore/sign internals) fails.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
// Vendor SDKs are the KMS providers' optional peers: a consumer of those installs them; they are out of this check.
const VENDOR_PEER_PACKAGES = new Set([
  '@certus-trust/kms-aws',
  '@certus-trust/kms-gcp',
  '@certus-trust/kms-azure',
])

// spawnSync blocks the worker, so vitest's own timeouts cannot fire: each command carries its own bound.
const COMMAND_TIMEOUT_MS = 240_000

interface Manifest {
  name: string
  private?: boolean
  exports?: Record<string, unknown>
}

const published = readdirSync(join(ROOT, 'packages'))
  .map((dir) => ({
    dir: join(ROOT, 'packages', dir),
    manifest: JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) as Manifest,
  }))
  .filter(({ manifest }) => !manifest.private)

/** The pnpm running this suite (`pnpm test` sets npm_execpath), else the one on PATH. */
function pnpm(args: string[], cwd: string) {
  const execPath = process.env.npm_execpath
  return execPath && /pnpm/.test(execPath)
    ? spawnSync(process.execPath, [execPath, ...args], { cwd, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS })
    : spawnSync('pnpm', args, { cwd, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS })
}

function check(result: ReturnType<typeof spawnSync>, what: string): string {
  if (result.status !== 0)
    throw new Error(
      `${what} failed (${result.error?.message ?? result.status}):\n${result.stdout}\n${result.stderr}`,
    )
  return String(result.stdout)
}

describe('published declarations in a strict consumer without skipLibCheck', () => {
  let consumer: string
  let tarballs: string[] = []

  beforeAll(() => {
    consumer = mkdtempSync(join(tmpdir(), 'certus-consumer-'))
    const packs = join(consumer, 'packs')
    for (const { dir, manifest } of published)
      check(pnpm(['pack', '--pack-destination', packs], dir), `pnpm pack ${manifest.name}`)
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    )
    tarballs = readdirSync(packs).map((name) => join(packs, name))
    check(
      spawnSync(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--omit=peer',
          ...tarballs,
          'typescript@6.0.3',
          '@types/node@24',
          // storage-postgres's declarations name pg's types: a TypeScript user of it installs @types/pg
          // (its optional peer) as for pg itself; the runtime install stays free of type packages.
          '@types/pg@8',
        ],
        { cwd: consumer, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS },
      ),
      'npm install',
    )
    const entries = published
      .filter(({ manifest }) => !VENDOR_PEER_PACKAGES.has(manifest.name))
      .flatMap(({ manifest }) =>
        Object.keys(manifest.exports ?? { '.': '' })
          .filter((subpath) => subpath !== './package.json')
          .map((subpath) => (subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`)),
      )
    writeFileSync(
      join(consumer, 'index.ts'),
      `${entries.map((entry, i) => `import * as entry${i} from '${entry}'`).join('\n')}\nexport const all = [${entries.map((_, i) => `entry${i}`).join(', ')}]\n`,
    )
  }, 300_000)

  afterAll(() => {
    if (consumer) rmSync(consumer, { recursive: true, force: true })
  }, 120_000)

  it('every tarball passes arethetypeswrong in every resolution mode, node10 included', () => {
    expect(tarballs).toHaveLength(published.length)
    const attw = join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js')
    const problems = tarballs.flatMap((tarball) => {
      const result = spawnSync(process.execPath, [attw, tarball, '--format', 'json'], {
        encoding: 'utf8',
        timeout: 60_000,
      })
      const report = JSON.parse(result.stdout) as { problems?: Record<string, unknown[]> }
      // attw exits non-zero exactly when it found problems; a report without a problems map is itself a failure.
      if (!report.problems) return [`${tarball}: no attw report (${result.stderr})`]
      return Object.entries(report.problems).map(([kind, list]) => `${tarball}: ${kind} ×${list.length}`)
    })
    expect(problems).toEqual([])
  }, 120_000)

  for (const [moduleResolution, module] of [
    ['nodenext', 'nodenext'],
    ['bundler', 'preserve'],
  ] as const) {
    it(`type-checks every public entry point with moduleResolution ${moduleResolution}`, () => {
      // The import list must be the real one, or a clean result proves nothing.
      const source = readFileSync(join(consumer, 'index.ts'), 'utf8')
      expect(source).toContain("from '@certus-trust/signer'")
      expect(source).toContain("from '@certus-trust/storage-postgres'")
      expect(source).toContain("from '@certus-trust/core/x509'")
      writeFileSync(
        join(consumer, `tsconfig.${moduleResolution}.json`),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            skipLibCheck: false,
            module,
            moduleResolution,
            target: 'es2024',
            lib: ['esnext'],
            types: ['node'],
            noEmit: true,
          },
          files: ['index.ts'],
        }),
      )
      const tsc = spawnSync(
        process.execPath,
        [
          join(consumer, 'node_modules', 'typescript', 'bin', 'tsc'),
          '-p',
          `tsconfig.${moduleResolution}.json`,
        ],
        { cwd: consumer, encoding: 'utf8', timeout: 110_000 },
      )
      expect(`${tsc.stdout}${tsc.stderr}`).toBe('')
      expect(tsc.status).toBe(0)
    }, 120_000)
  }
})
