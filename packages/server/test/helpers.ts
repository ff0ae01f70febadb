import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { hashApiKey, loadConfig, type RunningServer, startServer } from '../src/index.js'

export const SIGNER_KEY = 'e2e-signer-key-0123456789'
export const VERIFIER_KEY = 'e2e-verifier-key-0123456789'
export const ADMIN_KEY = 'e2e-admin-key-0123456789'

/** The admin database of the local PostgreSQL used to create throwaway databases. */
export const POSTGRES_ADMIN_URL =
  process.env.CERTUS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const DATABASE_PREFIX_RAW = process.env.CERTUS_TEST_DATABASE_PREFIX ?? 'certus_server_test_'
if (!/^[a-z_][a-z0-9_]{0,40}$/.test(DATABASE_PREFIX_RAW))
  throw new Error('CERTUS_TEST_DATABASE_PREFIX must match [a-z_][a-z0-9_]*')
/** Prefix of every throwaway database name (CERTUS_TEST_DATABASE_PREFIX). */
export const DATABASE_PREFIX = DATABASE_PREFIX_RAW

export function digestOf(text: string): `sha256:${string}` {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`
}

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/** Creates a throwaway database and returns its URL and a dropper. */
export async function createThrowawayDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${DATABASE_PREFIX}${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(POSTGRES_ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    },
  }
}

export type StorageKind = 'memory' | 'sqlite' | 'pglite' | 'postgres'

/** Starts a real server on an ephemeral loopback port with its own data directory (and database). */
export async function startTestServer(
  kind: StorageKind,
  env: Record<string, string> = {},
  /** Config fields no variable sets (e.g. `verifyThreadsMinBatch`). */
  overrides: Partial<ReturnType<typeof loadConfig>> = {},
): Promise<{ server: RunningServer; dataDir: string; cleanup(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'certus-server-test-'))
  const database = kind === 'postgres' ? await createThrowawayDatabase() : undefined
  const storage =
    kind === 'memory'
      ? 'memory'
      : kind === 'sqlite'
        ? join(dataDir, 'certus.db')
        : kind === 'pglite'
          ? join(dataDir, 'log-db')
          : database!.url
  const config = loadConfig(
    {
      CERTUS_TRUST_PORT: '0',
      CERTUS_TRUST_DATA_DIR: dataDir,
      CERTUS_TRUST_STORAGE: storage,
      CERTUS_TRUST_LOG_LEVEL: 'silent',
      CERTUS_TRUST_API_KEYS: [
        `ci:signer:${hashApiKey(SIGNER_KEY)}`,
        `auditor:verifier:${hashApiKey(VERIFIER_KEY)}`,
        `ops:admin:${hashApiKey(ADMIN_KEY)}`,
      ].join(','),
      CERTUS_TRUST_RATE_LIMIT: '0',
      ...env,
    },
    { cwd: dataDir },
  )
  let server: RunningServer
  try {
    server = await startServer({ ...config, ...overrides })
  } catch (error) {
    await database?.drop().catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
    throw error
  }
  return {
    server,
    dataDir,
    async cleanup() {
      await server.close()
      await database?.drop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

export async function call(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  key: string | undefined,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: tests read response fields freely
): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  return { status: response.status, json, headers: response.headers }
}
