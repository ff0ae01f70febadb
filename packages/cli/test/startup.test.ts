import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, certus, tempDir } from './helpers.js'

/*
 * Start-up of a one-shot `certus sign` on the embedded default (issue 11): what the command does not need must not
 * load. A module-load hook in the child process lists every file it loads; the chunks of the executable that hold a
 * library are recognised by the module paths esbuild writes above each bundled module.
 */
const DIST = dirname(BIN)
const chunksHolding = (marker: string) =>
  readdirSync(DIST)
    .filter((name) => name.endsWith('.js'))
    .filter((name) => readFileSync(join(DIST, name), 'utf8').includes(marker))

const HOOK = `import { registerHooks } from 'node:module'
import { writeFileSync } from 'node:fs'
const loaded = new Set()
registerHooks({ load(url, context, next) { loaded.add(url); return next(url, context) } })
process.on('exit', () => writeFileSync(process.env.CERTUS_TEST_LOADED, [...loaded].join('\\n')))
`

describe('certus sign FILE --key K (embedded SQLite log)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  beforeAll(async () => {
    dir = await tempDir()
    writeFileSync(join(dir.path, 'artifact.txt'), 'start-up\n')
    writeFileSync(join(dir.path, 'hook.mjs'), HOOK)
    const keygen = await certus(['keygen', '--private-key', 'key.pem', '--public-key', 'key.pub'], {
      cwd: dir.path,
    })
    expect(keygen.code).toBe(0)
  })
  afterAll(() => dir.cleanup())

  /** Signs (the first time creates the data directory) and returns the dist files the process loaded. */
  async function signLoading(): Promise<string[]> {
    const list = join(dir.path, 'loaded.txt')
    const result = await certus(['sign', 'artifact.txt', '--key', 'key.pem', '--bundle', 'artifact.json'], {
      cwd: dir.path,
      env: {
        NODE_OPTIONS: `--import ${pathToFileURL(join(dir.path, 'hook.mjs')).href}`,
        CERTUS_TEST_LOADED: list,
      },
    })
    expect(result.code, result.stderr).toBe(0)
    return readFileSync(list, 'utf8')
      .split('\n')
      .filter((url) => url.startsWith('file:'))
      .map((url) => fileURLToPath(url))
      .filter((path) => dirname(path) === DIST)
      .map((path) => path.slice(DIST.length + 1))
  }

  it('does not load @noble/curves: a local key signs through OpenSSL and the log skips its own signature', async () => {
    const noble = chunksHolding('node_modules/@noble/curves/')
    expect(noble.length).toBeGreaterThan(0)
    for (const run of ['first (creates the data directory)', 'second']) {
      const loaded = await signLoading()
      expect(loaded, run).toContain('bin.js')
      expect(
        loaded.filter((name) => noble.includes(name)),
        run,
      ).toEqual([])
    }
  })

  it('loads only the zod it uses: no zod namespace object keeping all of zod alive', async () => {
    const loaded = await signLoading()
    const texts = loaded.map((name) => readFileSync(join(DIST, name), 'utf8'))
    expect(texts.some((text) => text.includes('/zod/v4/classic/schemas.js'))).toBe(true)
    // zod's `z` namespace module: bundled only when some code uses the namespace as a value (tsup.config.ts).
    expect(loaded.filter((_, index) => texts[index]!.includes('/zod/v4/classic/external.js'))).toEqual([])
  })
})
