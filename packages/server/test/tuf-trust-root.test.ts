import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { exportEmbeddedTrustedRoot } from '@certus-trust/service'
import { buildTufRepository, type ServedTufRepository, serveTufRepository } from '@certus-trust/test-utils'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServerDeps, hashApiKey, loadConfig, startServer } from '../src/index.js'
import { call, digestOf, SIGNER_KEY, startTestServer, VERIFIER_KEY } from './helpers.js'

/*
 * CERTUS_TRUST_TUF_MIRROR: the public-good root /v1/verify uses for other logs comes from a real TUF repository on
 * 127.0.0.1. Its trusted_root.json names server A's embedded log, which server B trusts only through it.
 */

async function startWithTuf(env: Record<string, string>) {
  const dataDir = await mkdtemp(join(tmpdir(), 'certus-server-tuf-'))
  const lines: Array<{ level: number; msg: string }> = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  const config = loadConfig(
    {
      CERTUS_TRUST_PORT: '0',
      CERTUS_TRUST_DATA_DIR: dataDir,
      CERTUS_TRUST_STORAGE: 'memory',
      CERTUS_TRUST_API_KEYS: `auditor:verifier:${hashApiKey(VERIFIER_KEY)}`,
      CERTUS_TRUST_RATE_LIMIT: '0',
      ...env,
    },
    { cwd: dataDir },
  )
  const deps = await createServerDeps(config, { logger: pino({ level: 'warn' }, sink) })
  const server = await startServer(config, { deps })
  return {
    server,
    warnings: () => lines.filter((line) => line.level === 40).map((line) => line.msg),
    cleanup: async () => {
      await server.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

describe('the public-good trusted root through TUF (CERTUS_TRUST_TUF_*)', () => {
  let a: Awaited<ReturnType<typeof startTestServer>>
  let dir: string
  let mirror: ServedTufRepository
  let signed: { json: { bundle: unknown; public_key: string } }
  const artifact = digestOf('signed by A, trusted by B only through TUF')

  beforeAll(async () => {
    a = await startTestServer('memory')
    signed = await call(a.server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact,
      artifact_type: 'file',
      subject: 'tuf',
    })
    const { log, rekorV2, tsa } = a.server.deps
    const trustedRoot = await exportEmbeddedTrustedRoot({ log: log!, rekorV2, tsa })
    const repository = buildTufRepository({ targets: { 'trusted_root.json': JSON.stringify(trustedRoot) } })
    dir = await mkdtemp(join(tmpdir(), 'certus-server-tuf-root-'))
    await writeFile(join(dir, 'root.json'), repository.root)
    mirror = await serveTufRepository(repository)
  }, 30_000)
  afterAll(async () => {
    await mirror?.close()
    await a?.cleanup()
    await rm(dir, { recursive: true, force: true })
  })

  it('verifies bundles of a log named only in the TUF repository; a mirror that is down falls back, logged at start', async () => {
    const request = { artifact, bundle: signed.json.bundle, policy: { public_key: signed.json.public_key } }
    const env = {
      CERTUS_TRUST_TUF_MIRROR: mirror.url,
      CERTUS_TRUST_TUF_ROOT: join(dir, 'root.json'),
      CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: '0',
    }
    const b = await startWithTuf(env)
    try {
      const verified = await call(b.server.url, 'POST', '/v1/verify', VERIFIER_KEY, request)
      expect(verified.status).toBe(200)
      expect(verified.json.valid).toBe(true)
      expect(b.warnings()).toEqual([])
      expect(mirror.requests.some((path) => path.endsWith('.trusted_root.json'))).toBe(true)
    } finally {
      await b.cleanup()
    }

    await mirror.close()
    const c = await startWithTuf(env)
    try {
      // Nothing cached in C's data directory: the embedded snapshot, which does not know A's log.
      const rejected = await call(c.server.url, 'POST', '/v1/verify', VERIFIER_KEY, request)
      expect(rejected.json.valid).toBe(false)
      expect(c.warnings()).toEqual([expect.stringMatching(/days old$/)])
      expect(c.warnings()[0]).toContain(`TUF refresh of the trusted root from ${mirror.url} failed`)
    } finally {
      await c.cleanup()
    }
  }, 30_000)

  it('logs the age warning at start-up when the embedded snapshot is past CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS', async () => {
    const server = await startWithTuf({ CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: '1' })
    try {
      expect(server.warnings()).toEqual([
        expect.stringMatching(
          /^the embedded public-good trusted root snapshot is \d+ days old .*warning after 1\)/,
        ),
      ])
    } finally {
      await server.cleanup()
    }
  })
})
