import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, certus, tempDir } from './helpers.js'

/*
 * Start-up of a one-shot `certus sign` on the embedded default (issue 11): what the command does not need must not
 * load or run. A module-load hook in the child process lists every file it loads; the chunks of the executable that
 * hold a library are recognised by the module paths esbuild writes above each bundled module. sign's own code is one
 * CommonJS bundle (sign-command.cjs, loaded through vm): there V8's function events tell which bundled modules ran.
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

  /**
   * Signs under V8's function-event log and returns the bundled modules of sign-command.cjs whose functions were
   * compiled or run (the region each function starts in, by the `// path` line esbuild writes above each module).
   */
  async function signRunning(): Promise<string[]> {
    const log = join(dir.path, 'functions.log')
    await promisify(execFile)(
      process.execPath,
      [
        '--log-function-events',
        `--logfile=${log}`,
        '--no-logfile-per-isolate',
        BIN,
        ...['sign', 'artifact.txt', '--key', 'key.pem', '--bundle', 'artifact.json'],
      ],
      { cwd: dir.path },
    )
    const bundle = join(DIST, 'sign-command.cjs')
    const source = readFileSync(bundle, 'utf8')
    const regions = [...source.matchAll(/^\/\/ (\S+)$/gm)].map((match) => ({
      at: match.index,
      module: match[1]!,
    }))
    // loadStandaloneScript compiles the bundle inside a one-line function head; V8 counts positions from it.
    const head = '(function (exports, require, module, __filename, __dirname) {'.length
    const events = readFileSync(log, 'utf8')
      .split('\n')
      .map((line) => line.split(','))
    const script = events.find((event) => event[0] === 'script-details' && event[2] === bundle)?.[1]
    expect(script, 'sign-command.cjs ran').toBeDefined()
    const ran = new Set<string>()
    // Compiled on first call or run (not the pre-parse of functions nested in one being compiled).
    const calls = new Set(['parse-function', 'interpreter', 'first-execution'])
    for (const event of events) {
      if (event[0] !== 'function' || !calls.has(event[1]!) || event[2] !== script) continue
      const position = Number(event[3]) - head
      const region = regions.findLast((candidate) => candidate.at <= position)
      if (region) ran.add(region.module)
    }
    return [...ran]
  }

  it('does not load @noble/curves: a local key signs through OpenSSL and the log skips its own signature', async () => {
    const noble = chunksHolding('node_modules/@noble/curves/')
    expect(noble.length).toBeGreaterThan(0)
    expect(readFileSync(join(DIST, 'sign-command.cjs'), 'utf8')).toContain('node_modules/@noble/curves/')
    for (const run of ['first (creates the data directory)', 'second']) {
      const loaded = await signLoading()
      expect(loaded, run).toContain('bin.js')
      expect(
        loaded.filter((name) => noble.includes(name)),
        run,
      ).toEqual([])
      const ran = await signRunning()
      // The events do name what runs (the SQLite storage), and nothing of @noble/curves.
      expect(
        ran.some((module) => module.includes('storage-sqlite/dist/')),
        run,
      ).toBe(true)
      expect(
        ran.filter((module) => module.includes('@noble/curves')),
        run,
      ).toEqual([])
    }
  })
})

describe('the chunks other commands load (certus verify)', () => {
  it('hold only the zod they use: no zod namespace object keeping all of zod alive', async () => {
    const dir = await tempDir()
    try {
      writeFileSync(join(dir.path, 'hook.mjs'), HOOK)
      writeFileSync(join(dir.path, 'artifact.txt'), 'zod\n')
      const list = join(dir.path, 'loaded.txt')
      const run = (args: string[], env: Record<string, string> = {}) => certus(args, { cwd: dir.path, env })
      expect((await run(['keygen', '--private-key', 'key.pem', '--public-key', 'key.pub'])).code).toBe(0)
      expect((await run(['sign', 'artifact.txt', '--key', 'key.pem'])).code).toBe(0)
      const verify = await run(['verify', 'artifact.txt', '--key', 'key.pub'], {
        NODE_OPTIONS: `--import ${pathToFileURL(join(dir.path, 'hook.mjs')).href}`,
        CERTUS_TEST_LOADED: list,
      })
      expect(verify.code, verify.stderr).toBe(0)
      const loaded = readFileSync(list, 'utf8')
        .split('\n')
        .filter((url) => url.startsWith(pathToFileURL(DIST).href))
        .map((url) => readFileSync(fileURLToPath(url), 'utf8'))
      expect(loaded.some((text) => text.includes('/zod/v4/classic/schemas.js'))).toBe(true)
      // zod's `z` namespace module: bundled only when some code uses the namespace as a value (tsup.config.ts).
      expect(loaded.filter((text) => text.includes('/zod/v4/classic/external.js'))).toEqual([])
    } finally {
      await dir.cleanup()
    }
  })
})
