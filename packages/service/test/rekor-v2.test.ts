import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SIGNING_CONFIG_MEDIA_TYPE } from '@certus-trust/signer/signing-config'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { openDataDirLog } from '../src/entries/data-dir.js'
import { rekorV2StorageConfig } from '../src/entries/storage.js'
import {
  embeddedSigningConfig,
  exportEmbeddedTrustedRoot,
  openTrustService,
  type ServiceConfig,
} from '../src/index.js'
import { dataDirLayout } from '../src/layout.js'

const REKOR_V2_SCHEMA = 'certus_rekor_v2'
const DATABASE_URL = process.env.CERTUS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
/** Throwaway database names start with CERTUS_TEST_DATABASE_PREFIX, as in every PostgreSQL test here. */
const DATABASE_PREFIX = process.env.CERTUS_TEST_DATABASE_PREFIX ?? 'certus_service_'
if (!/^[a-z_][a-z0-9_]{0,40}$/.test(DATABASE_PREFIX))
  throw new Error('CERTUS_TEST_DATABASE_PREFIX must match [a-z_][a-z0-9_]*')
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'certus-service-v2-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

function configFor(dataDir: string, overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  const layout = dataDirLayout(dataDir)
  return {
    dataDir,
    storage: { kind: 'memory' },
    signingKeyPath: layout.signingKeyPath,
    logKeyPath: layout.logKeyPath,
    rekorV2KeyPath: layout.rekorV2KeyPath,
    tsaKeyPath: layout.tsaKeyPath,
    logBaseUrl: 'http://127.0.0.1:3000',
    keyless: { enabled: false },
    transparency: { mode: 'embedded' },
    databasePoolSize: 2,
    upstreamTimeoutMs: 5_000,
    upstreamRetries: 0,
    ...overrides,
  }
}

/** A Rekor v2 hashedrekord request signed by a fresh P-256 key. */
function v2Request() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const artifact = randomBytes(32)
  return {
    hashedRekordRequestV002: {
      digest: createHash('sha256').update(artifact).digest('base64'),
      signature: {
        content: sign('sha256', artifact, privateKey).toString('base64'),
        verifier: {
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          publicKey: { rawBytes: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') },
        },
      },
    },
  }
}

describe('the embedded Rekor v2 log beside the v1 log', () => {
  it('puts v2 storage beside the main storage, of the same kind', () => {
    expect(rekorV2StorageConfig({ kind: 'memory' })).toEqual({ kind: 'memory' })
    expect(rekorV2StorageConfig({ kind: 'sqlite', path: '/d/certus.db' })).toEqual({
      kind: 'sqlite',
      path: '/d/certus-rekor-v2.db',
    })
    expect(rekorV2StorageConfig({ kind: 'postgres', connectionString: 'postgres://h/db' })).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://h/db',
      schema: REKOR_V2_SCHEMA,
    })
  })

  it('exports one trusted root with both logs and the TSA, and a SigningConfig pointing at them', async () => {
    const dataDir = await scratchDir()
    const opened = await openTrustService(configFor(dataDir))
    cleanups.push(() => opened.close())
    const { log, rekorV2, tsa } = opened
    expect(rekorV2?.apiVersion).toBe(2)
    expect((await stat(dataDirLayout(dataDir).rekorV2KeyPath)).mode & 0o777).toBe(0o600)
    await rekorV2!.createEntry(v2Request())
    const root = await exportEmbeddedTrustedRoot({ log: log!, rekorV2, tsa })
    expect(root.tlogs).toHaveLength(2)
    const [v1Entry, v2Entry] = root.tlogs
    expect(v1Entry!.checkpointKeyId).toBeUndefined()
    expect(v2Entry!.checkpointKeyId).toEqual(v2Entry!.logId)
    expect(v1Entry!.logId).not.toEqual(v2Entry!.logId)
    for (const tlog of root.tlogs) {
      expect(tlog.baseUrl).toBe('http://127.0.0.1:3000')
      expect(tlog.publicKey.validFor.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    }
    const authorities = root.timestampAuthorities as Array<{
      uri: string
      certChain: { certificates: unknown[] }
    }>
    expect(authorities).toHaveLength(1)
    expect(authorities[0]!.uri).toBe('http://127.0.0.1:3000/api/v1/timestamp')
    expect(authorities[0]!.certChain.certificates).toHaveLength(2)
    // Exporting again over the previous root does not duplicate anything.
    const again = await exportEmbeddedTrustedRoot({ log: log!, rekorV2, tsa }, root)
    expect(again.tlogs).toHaveLength(2)
    expect(again.timestampAuthorities).toHaveLength(1)

    const config = await embeddedSigningConfig({ log: log!, rekorV2, tsa })
    expect(config.mediaType).toBe(SIGNING_CONFIG_MEDIA_TYPE)
    expect(config.rekorTlogUrls.map((service) => [service.url, service.majorApiVersion])).toEqual([
      ['http://127.0.0.1:3000', 2],
      ['http://127.0.0.1:3000', 1],
    ])
    expect(config.tsaUrls.map((service) => service.url)).toEqual(['http://127.0.0.1:3000/api/v1/timestamp'])
    expect(config.caUrls).toEqual([])
    expect(config.oidcUrls).toEqual([])
    expect(config.rekorTlogConfig).toEqual({ selector: 'ANY' })
    expect(config.tsaConfig).toEqual({ selector: 'ANY' })
  })

  it('keeps the v2 log in its own SQLite file of the data directory, across reopening', async () => {
    const dataDir = await scratchDir()
    const first = await openDataDirLog({ path: dataDir, create: true, services: true })
    await first.rekorV2!.createEntry(v2Request())
    const checkpoint = await first.rekorV2!.getCheckpoint()
    await first.close()
    expect((await stat(dataDirLayout(dataDir).rekorV2DatabasePath)).isFile()).toBe(true)
    const second = await openDataDirLog({ path: dataDir, services: true })
    cleanups.push(() => second.close())
    expect(await second.rekorV2!.getCheckpoint()).toBe(checkpoint)
    const entry = await second.rekorV2!.createEntry(v2Request())
    expect(entry.logIndex).toBe(1)
    expect(second.tsa).toBeDefined()
    // Without `services` (what `certus sign` and `certus log` open) neither is opened.
    await second.close()
    const plain = await openDataDirLog({ path: dataDir })
    cleanups.push(() => plain.close())
    expect(plain.rekorV2).toBeUndefined()
    expect(plain.tsa).toBeUndefined()
  })

  it('keeps the v2 log in its own PostgreSQL schema of the same database', async () => {
    const name = `${DATABASE_PREFIX}${randomBytes(5).toString('hex')}`
    const admin = new pg.Client({ connectionString: DATABASE_URL })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
    await admin.end()
    cleanups.push(async () => {
      const client = new pg.Client({ connectionString: DATABASE_URL })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await client.end()
    })
    const url = new URL(DATABASE_URL)
    url.pathname = `/${name}`
    const dataDir = await scratchDir()
    const opened = await openTrustService(
      configFor(dataDir, { storage: { kind: 'postgres', connectionString: url.toString() } }),
    )
    const v1Tree = (await opened.log!.listShards())[0]!
    await opened.rekorV2!.createEntry(v2Request())
    await opened.close()
    const client = new pg.Client({ connectionString: url.toString() })
    await client.connect()
    try {
      const rows = await client.query(
        `SELECT table_schema, count(*)::int AS trees FROM information_schema.tables
         WHERE table_name = 'certus_log_trees' GROUP BY table_schema ORDER BY table_schema`,
      )
      expect(rows.rows.map((row) => row.table_schema)).toEqual([REKOR_V2_SCHEMA, 'public'])
      const leaves = await client.query(`SELECT count(*)::int AS n FROM ${REKOR_V2_SCHEMA}.certus_log_leaves`)
      expect(leaves.rows[0].n).toBe(1)
      const publicTrees = await client.query('SELECT tree_id FROM public.certus_log_trees')
      expect(publicTrees.rows.map((row) => row.tree_id)).toEqual([v1Tree.treeId])
    } finally {
      await client.end()
    }
    // Reopening finds both logs again, each with its own key.
    const reopened = await openTrustService(
      configFor(dataDir, { storage: { kind: 'postgres', connectionString: url.toString() } }),
    )
    cleanups.push(() => reopened.close())
    expect((await reopened.rekorV2!.createEntry(v2Request())).logIndex).toBe(1)
    expect(createPublicKey((await reopened.rekorV2!.listShards())[0]!.publicKeyPem)).toBeDefined()
  })
})
