import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { freePort } from '@certus-trust/test-utils'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, certus, json, tempDir } from './helpers.js'

describe('certus serve (built bin)', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  beforeAll(async () => {
    dir = await tempDir()
  })
  afterAll(() => dir.cleanup())

  it('takes the port from --port, else CERTUS_TRUST_PORT, else 8080', async () => {
    const [fromEnv, fromFlag] = [await freePort(), await freePort()]
    const env = { CERTUS_TRUST_PORT: String(fromEnv), CERTUS_TRUST_HOST: '127.0.0.1' }
    const base = ['serve', '--storage', 'memory', '--data-dir', dir.path]
    expect(await servingUrl(base, env)).toBe(`http://127.0.0.1:${fromEnv}`)
    expect(await servingUrl([...base, '--port', String(fromFlag)], env)).toBe(`http://127.0.0.1:${fromFlag}`)
    // The data directory the same way: CERTUS_TRUST_DATA_DIR unless --data-dir says otherwise.
    const fromEnvDir = join(dir.path, 'env-data')
    const logged = await certus(['log', 'info', '--json'], { env: { CERTUS_TRUST_DATA_DIR: fromEnvDir } })
    expect(logged.stderr).toContain(fromEnvDir)
    const flagWins = await certus(['log', 'info', '--data-dir', join(dir.path, 'flag-data')], {
      env: { CERTUS_TRUST_DATA_DIR: fromEnvDir },
    })
    expect(flagWins.stderr).toContain(join(dir.path, 'flag-data'))
    const help = await certus(['serve', '--help'])
    expect(help.stdout).toContain('$CERTUS_TRUST_PORT, else 8080')
  }, 120_000)

  it('serves on 127.0.0.1 with the contract form, answers HTTP, and shuts down cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--storage', 'memory', '--data-dir', dir.path],
      {
        env: { ...process.env, CERTUS_TRUST_LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stderr = ''
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 30_000)
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        const match = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)
        if (match?.[1]) {
          clearTimeout(timer)
          resolve(match[1])
        }
      })
      child.once('exit', (code) => reject(new Error(`serve exited early (${code}):\n${stderr}`)))
    })
    const health = await fetch(`${url}/v1/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    // The OpenAPI document is built from the routes' zod schemas through `.openapi()`, which the executable's
    // build hands to @hono/zod-openapi in its own way (tsup.config.ts): the bundled server must still describe them.
    const openapi = await fetch(`${url}/openapi.json`)
    expect(openapi.status).toBe(200)
    const document = (await openapi.json()) as { paths: Record<string, unknown> }
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/health', '/v1/sign']))
    const malformed = await fetch(`${url}/v1/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    })
    expect(malformed.status).toBe(400)

    // The server's Rekor v1 API: `certus sign/log --rekor-url` use it like any Rekor.
    const keygen = await certus(['keygen', '--private-key', 'k.pem', '--public-key', 'k.pub'], {
      cwd: dir.path,
    })
    expect(keygen.code, keygen.stderr).toBe(0)
    await writeFile(join(dir.path, 'a.txt'), 'remote\n')
    const signed = await certus(
      ['sign', 'a.txt', '--key', 'k.pem', '--rekor-url', url, '--data-dir', 'cli', '--json'],
      { cwd: dir.path },
    )
    expect(signed.code, signed.stderr).toBe(0)
    expect(json<{ results: Array<{ logIndex: number }> }>(signed).results[0]?.logIndex).toBe(0)
    const proof = await certus(['log', 'proof', '--index', '0', '--rekor-url', url, '--json'], {
      cwd: dir.path,
    })
    expect(proof.code, proof.stderr).toBe(0)
    expect(json<{ verified: string[] }>(proof).verified).toEqual(
      expect.arrayContaining(['checkpoint', 'inclusionProof']),
    )
    const info = await certus(['log', 'info', '--rekor-url', url, '--json'], { cwd: dir.path })
    expect(json<{ treeSize: number; checkpointVerified: boolean }>(info)).toMatchObject({
      treeSize: 1,
      checkpointVerified: true,
    })
    const missing = await certus(['log', 'get', '--index', '7', '--rekor-url', url], { cwd: dir.path })
    expect(missing.code).toBe(3)

    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
    expect(stderr).toContain('SIGTERM received, shutting down')
  })
})

describe('certus serve and certus commands share one data directory', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  beforeAll(async () => {
    dir = await tempDir()
  })
  afterAll(() => dir.cleanup())

  it('an entry signed over HTTP (default SQLite storage) is in the log `certus log` reads afterwards', async () => {
    const data = join(dir.path, 'data')
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', data], {
      // One signing thread whatever the machine's cores: the bundled executable must find the thread's body.
      env: { ...process.env, CERTUS_TRUST_LOG_LEVEL: 'silent', CERTUS_TRUST_SIGNING_THREADS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 60_000)
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        const match = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)
        if (match?.[1]) {
          clearTimeout(timer)
          resolve(match[1])
        }
      })
      child.once('exit', (code) => reject(new Error(`serve exited early (${code}):\n${stderr}`)))
    })
    expect(stderr).toContain('storage: sqlite')
    const signed = await fetch(`${url}/v1/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ artifact: `sha256:${'ab'.repeat(32)}`, artifact_type: 'file', subject: 'x' }),
    })
    expect(signed.status).toBe(201)
    const entryId = ((await signed.json()) as { entry_id: string }).entry_id
    // While the server runs, a `certus sign` on the same directory appends to the same log at once (no
    // directory lock to wait for), and the server's next entry continues after it: one log, never forked.
    await writeFile(join(dir.path, 'while-serving.txt'), 'signed while the server runs')
    const local = await certus(
      ['sign', 'while-serving.txt', '--data-dir', data, '--bundle', 'while-serving.sigstore.json', '--json'],
      { cwd: dir.path },
    )
    expect(local.code, local.stderr).toBe(0)
    expect(json<{ results: Array<{ logIndex: number }> }>(local).results[0]?.logIndex).toBe(1)
    const next = await fetch(`${url}/v1/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ artifact: `sha256:${'cd'.repeat(32)}`, artifact_type: 'file', subject: 'y' }),
    })
    expect(next.status).toBe(201)
    expect(((await next.json()) as { transparency_entry: { index: number } }).transparency_entry.index).toBe(
      2,
    )
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exit).toBe(0)

    const got = await certus(['log', 'get', entryId, '--data-dir', data, '--json'])
    expect(got.code, got.stderr).toBe(0)
    expect(json<{ artifactHash: string }>(got).artifactHash).toBe(`sha256:${'ab'.repeat(32)}`)
  })
})

const SERVER_URL = process.env.CERTUS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const DATABASE_PREFIX = process.env.CERTUS_TEST_DATABASE_PREFIX ?? 'certus_cli_'
const reachable = await new Promise<boolean>((done) => {
  const where = new URL(SERVER_URL)
  const socket = connect({ host: where.hostname, port: Number(where.port || 5432), timeout: 2_000 })
  socket.once('connect', () => {
    socket.destroy()
    done(true)
  })
  socket.once('error', () => done(false))
  socket.once('timeout', () => {
    socket.destroy()
    done(false)
  })
})
const required = process.env.CERTUS_REQUIRE_POSTGRES === '1'
if (!reachable) {
  console.warn(
    `\n*** certus migrate test: PostgreSQL not reachable at ${new URL(SERVER_URL).host} (CERTUS_TEST_DATABASE_URL) — ${required ? 'FAILING (CERTUS_REQUIRE_POSTGRES=1)' : 'NOT RUN'} ***\n`,
  )
}

describe.skipIf(!reachable && !required)('certus migrate (built bin, throwaway PostgreSQL database)', () => {
  const serverUrl = SERVER_URL
  const name = `${DATABASE_PREFIX}${randomBytes(6).toString('hex')}`
  let admin: pg.Client
  let databaseUrl: string
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
    const url = new URL(serverUrl)
    url.pathname = `/${name}`
    databaseUrl = url.toString()
  })
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  })

  it('applies the migrations once, then reports the schema as current', async () => {
    const first = await certus(['migrate', '--database-url', databaseUrl, '--json'])
    expect(first.code, first.stderr).toBe(0)
    const applied = json<{ applied: number[]; version: number }>(first)
    expect(applied.applied.length).toBeGreaterThan(0)
    expect(applied.version).toBe(applied.applied[applied.applied.length - 1])

    const again = await certus(['migrate'], { env: { CERTUS_TRUST_DATABASE_URL: databaseUrl } })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(`schema is up to date (version ${applied.version})`)
  })

  it('fails with exit 4 (unavailable) and no stack trace when the database does not exist', async () => {
    const url = new URL(databaseUrl)
    url.pathname = `/${name}_missing`
    const result = await certus(['migrate', '--database-url', url.toString()])
    expect(result.code).toBe(4)
    expect(result.stderr).toContain('STORAGE_')
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    expect(result.stderr).not.toContain(url.toString())
  })
})

/** Starts `certus serve …`, returns the URL it reports serving on, and stops it. */
async function servingUrl(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CERTUS_TRUST_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 60_000)
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        const match = /serving on (\S+) /.exec(stderr)
        if (match?.[1]) {
          clearTimeout(timer)
          resolve(match[1])
        }
      })
      child.once('exit', (code) => reject(new Error(`serve exited early (${code}):\n${stderr}`)))
    })
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))
  }
}
