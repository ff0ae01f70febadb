import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RECORD_DUE_SEARCH_KEY, type StorageConfig } from '@certus-trust/service'
import { openStorage } from '@certus-trust/service/storage'
import type { Storage } from '@certus-trust/storage'
import { afterAll, describe, expect, it } from 'vitest'
import { createThrowawayDatabase, digestOf, postgresReachable } from './helpers.js'
import { exitOf, listeningUrl, run } from './main-process.js'

/*
 * kill -9 while signing: a real server process (`node dist/main.js`) signs with eight concurrent clients and is
 * killed with SIGKILL at a random moment — batches append several entries in one transaction and then write
 * their records one by one, so a kill lands between a log append and its record write. Each restart reconciles
 * before it listens. At the end every log entry has its record (checked leaf by leaf, not through the
 * reconciler's own query) and every signing the server acknowledged is stored as acknowledged.
 */

const ROUNDS = 5
const CLIENTS = 8

const postgresUp = await postgresReachable()
if (!postgresUp && process.env.CERTUS_REQUIRE_POSTGRES === '1') {
  throw new Error('PostgreSQL is unreachable and CERTUS_REQUIRE_POSTGRES=1')
}

// Every server process started, killed again after the tests whatever happened.
const children: ChildProcess[] = []

interface Acknowledged {
  artifact: string
  subject: string
  entryId: string
}

/** Signs as fast as `CLIENTS` clients can until the server dies; returns what it acknowledged. */
async function signUntilKilled(url: string, round: number, killAfterMs: number, kill: () => void) {
  const acknowledged: Acknowledged[] = []
  let stop = false
  const client = async (id: number) => {
    for (let n = 0; !stop; n += 1) {
      const subject = `round-${round}-client-${id}-${n}.txt`
      const artifact = digestOf(subject)
      try {
        const response = await fetch(`${url}/v1/sign`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ artifact, artifact_type: 'file', subject }),
        })
        if (response.status === 201) {
          const body = (await response.json()) as { entry_id: string }
          acknowledged.push({ artifact, subject, entryId: body.entry_id })
        }
      } catch {
        stop = true // the server is gone
      }
    }
  }
  const clients = Array.from({ length: CLIENTS }, (_, id) => client(id))
  // The first signing of a process warms up (keys, modules); the kill comes at a random moment after it.
  while (acknowledged.length === 0 && !stop) await new Promise((resolve) => setTimeout(resolve, 20))
  await new Promise((resolve) => setTimeout(resolve, killAfterMs))
  kill()
  stop = true
  await Promise.all(clients)
  return acknowledged
}

/** Resolves once the child is gone (exitOf waits for an exit code, which a killed process never has). */
function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
}

/** Orphans found by the start-up reconciliation, from the server's log line. */
function reconciledAtStartup(stdout: string): number {
  return stdout
    .split('\n')
    .filter((line) => line.includes('reconciled log entries that had no record'))
    .map((line) => (JSON.parse(line) as { reconciled: number }).reconciled)
    .reduce((sum, count) => sum + count, 0)
}

/** Every leaf of every tree, as hex UUIDs (independent of `findUnrecordedLeaves`). */
async function allLeafUuids(storage: Storage): Promise<string[]> {
  const uuids: string[] = []
  for (const tree of await storage.listTrees()) {
    const count = await storage.getLeafCount(tree.treeId)
    for (let start = 0; start < count; start += 1000) {
      const hashes = await storage.getLeafHashes(tree.treeId, start, Math.min(count, start + 1000))
      uuids.push(...hashes.map((hash) => Buffer.from(hash).toString('hex')))
    }
  }
  return uuids
}

async function allRecordedUuids(storage: Storage): Promise<Set<string>> {
  const uuids = new Set<string>()
  let cursor: string | undefined
  do {
    const page = await storage.listSignedArtifacts({ limit: 1000, ...(cursor ? { cursor } : {}) })
    for (const record of page.items) uuids.add(record.transparencyEntryUuid!.slice(-64))
    cursor = page.nextCursor
  } while (cursor)
  return uuids
}

async function crashAndRecover(env: Record<string, string>, cwd: string, storageConfig: StorageConfig) {
  const acknowledged: Acknowledged[] = []
  let reconciled = 0
  for (let round = 0; round <= ROUNDS; round += 1) {
    const server = run(
      { CERTUS_TRUST_PORT: '0', CERTUS_TRUST_LOG_LEVEL: 'info', CERTUS_TRUST_RATE_LIMIT: '0', ...env },
      cwd,
    )
    children.push(server.child)
    const url = await listeningUrl(server.stdout, 60_000).catch((error: unknown) => {
      throw new Error(`round ${round}: the server did not start: ${server.stderr()}`, { cause: error })
    })
    reconciled += reconciledAtStartup(server.stdout())
    if (round === ROUNDS) {
      server.child.kill('SIGTERM')
      expect(await exitOf(server.child)).toBe(0)
      break
    }
    const killAfterMs = 50 + Math.floor(Math.random() * 500)
    acknowledged.push(...(await signUntilKilled(url, round, killAfterMs, () => server.child.kill('SIGKILL'))))
    await killed(server.child)
  }

  const opened = await openStorage(storageConfig)
  try {
    const leaves = await allLeafUuids(opened.storage)
    const recorded = await allRecordedUuids(opened.storage)
    const orphans = leaves.filter((uuid) => !recorded.has(uuid))
    expect(orphans).toEqual([])
    expect(recorded.size).toBe(leaves.length)
    expect(
      await opened.storage.findUnrecordedLeaves!({
        searchKey: RECORD_DUE_SEARCH_KEY,
        integratedBefore: Math.floor(Date.now() / 1000) + 60,
        limit: 10,
      }),
    ).toEqual([])
    // No acknowledged signing is lost, and each keeps what the caller asked for.
    for (const ack of acknowledged) {
      const record = await opened.storage.getSignedArtifactByEntryUuid(ack.entryId)
      expect(record).toMatchObject({ artifactHash: ack.artifact, subject: ack.subject, artifactType: 'file' })
    }
    return { leaves: leaves.length, acknowledged: acknowledged.length, reconciled }
  } finally {
    await opened.close()
  }
}

describe('kill -9 between log append and record write', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    for (const cleanup of cleanups) await cleanup()
  })

  it('SQLite (the embedded default): after restarts, zero orphans and every acknowledged signing kept', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'certus-crash-'))
    cleanups.push(() => rm(cwd, { recursive: true, force: true }))
    const result = await crashAndRecover({}, cwd, {
      kind: 'sqlite',
      path: join(cwd, '.certus', 'certus.db'),
    })
    console.info(`sqlite kill -9: ${JSON.stringify(result)}`)
    expect(result.acknowledged).toBeGreaterThan(0)
  }, 240_000)

  it.skipIf(!postgresUp)(
    'PostgreSQL: after restarts, zero orphans and every acknowledged signing kept',
    async () => {
      const cwd = await mkdtemp(join(tmpdir(), 'certus-crash-pg-'))
      const database = await createThrowawayDatabase()
      cleanups.push(async () => {
        await database.drop()
        await rm(cwd, { recursive: true, force: true })
      })
      const result = await crashAndRecover(
        {
          CERTUS_TRUST_STORAGE: 'postgres',
          CERTUS_TRUST_DATABASE_URL: database.url,
          // One server on this database: start-up may reconcile everything (no other process is signing).
          CERTUS_TRUST_RECONCILE_GRACE_SECONDS: '0',
        },
        cwd,
        { kind: 'postgres', connectionString: database.url },
      )
      console.info(`postgres kill -9: ${JSON.stringify(result)}`)
      expect(result.acknowledged).toBeGreaterThan(0)
    },
    240_000,
  )
})
