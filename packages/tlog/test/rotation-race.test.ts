import { generateKeyPairSync } from 'node:crypto'
import type { LogEntry } from '@certus-trust/log-protocol'
import type { LogStorage } from '@certus-trust/storage'
import { createPostgresStorage } from '@certus-trust/storage-postgres'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTransparencyLog, TlogError, type TransparencyLog } from '../src/index.js'
import { createScratchDatabase } from './databases.js'
import { hashedRekordEntry, verifyEntryOffline } from './helpers.js'

type Storage = Awaited<ReturnType<typeof createPostgresStorage>>

/** Hooks run by a wrapped storage around each `withTreeLock` call: before taking the lock, and inside it. */
interface LockHooks {
  beforeLock?: () => Promise<void>
  inLock?: () => Promise<void>
}

/** The same storage (same pool), with `withTreeLock` calling the hooks, so a test can hold a batch at either point. */
function hooked(storage: LogStorage, hooks: LockHooks): LogStorage {
  return new Proxy(storage, {
    get(target, property) {
      if (property === 'withTreeLock') {
        return async (treeId: string, fn: Parameters<LogStorage['withTreeLock']>[1]) => {
          await hooks.beforeLock?.()
          return target.withTreeLock(treeId, async (tx) => {
            await hooks.inLock?.()
            return fn(tx)
          })
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  let arrived!: () => void
  const reached = new Promise<void>((resolve) => {
    arrived = resolve
  })
  return { open, opened, arrived, reached }
}

const BASE_URL = 'https://tlog.test.example'
const KEY_NAME = 'tlog.test.example'

// Two logs over one PostgreSQL database, each with its own storage and connection pool, stand for two processes.
describe('key rotation racing appends from another log instance (PostgreSQL, separate pools)', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>
  let appenderStorage: Storage
  let rotatorStorage: Storage
  let appender: TransparencyLog
  let rotator: TransparencyLog
  const hooks: LockHooks = {}

  beforeEach(async () => {
    database = await createScratchDatabase()
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    rotatorStorage = await createPostgresStorage({
      connectionString: database.url,
      migrate: true,
      maxConnections: 4,
    })
    rotator = await createTransparencyLog({ storage: rotatorStorage, key, baseUrl: BASE_URL })
    appenderStorage = await createPostgresStorage({ connectionString: database.url, maxConnections: 4 })
    delete hooks.beforeLock
    delete hooks.inLock
    appender = await createTransparencyLog({
      storage: hooked(appenderStorage, hooks),
      key,
      baseUrl: BASE_URL,
    })
  })

  afterEach(async () => {
    await appender.close()
    await rotator.close()
    await appenderStorage.close()
    await rotatorStorage.close()
    await database.drop()
  })

  /** The frozen shard ends exactly at its last checkpoint, the new one starts there; every entry and proof verifies. */
  async function checkShards(acknowledged: LogEntry[]) {
    const [frozen, current] = await rotatorStorage.listTrees()
    expect(frozen!.active).toBe(false)
    expect(current!.active).toBe(true)
    const frozenHead = (await rotatorStorage.getLatestTreeHead(frozen!.treeId))!
    expect(await rotatorStorage.getLeafCount(frozen!.treeId)).toBe(frozenHead.treeSize)
    expect(current!.startIndex).toBe(frozen!.startIndex + frozenHead.treeSize)
    const currentHead = (await rotatorStorage.getLatestTreeHead(current!.treeId))!
    expect(await rotatorStorage.getLeafCount(current!.treeId)).toBe(currentHead.treeSize)
    const keys = new Map([
      [frozen!.logId, frozen!],
      [current!.logId, current!],
    ])
    for (const entry of acknowledged) {
      const shard = keys.get(entry.logID)!
      expect(shard).toBeDefined()
      verifyEntryOffline(entry, shard.publicKeyPem, KEY_NAME)
      // Re-read now: its proof against the shard's latest head (for the frozen shard, its final checkpoint).
      const reread = (await rotator.getEntryByUuid(entry.uuid))!
      expect(reread.logIndex).toBe(entry.logIndex)
      verifyEntryOffline(reread, shard.publicKeyPem, KEY_NAME)
      if (shard === frozen) {
        expect(entry.logIndex).toBeLessThan(current!.startIndex)
        expect(reread.verification!.inclusionProof!.treeSize).toBe(frozenHead.treeSize)
      } else {
        expect(entry.logIndex).toBeGreaterThanOrEqual(current!.startIndex)
      }
    }
    return { frozen: frozen!, current: current!, frozenSize: frozenHead.treeSize }
  }

  it('a batch already past its checks when the rotation commits is refused, not written to the frozen shard', async () => {
    await appender.createEntry(hashedRekordEntry().proposed)
    const held = gate()
    hooks.beforeLock = async () => {
      held.arrived()
      await held.opened
    }
    const pending = appender.createEntry(hashedRekordEntry().proposed)
    await held.reached
    delete hooks.beforeLock
    await rotator.rotateKey()
    held.open()
    const error = await pending.then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(TlogError.is(error) && error.code).toBe('TLOG_KEY_MISMATCH')
    const later = await rotator.createEntry(hashedRekordEntry().proposed)
    const { frozenSize } = await checkShards([later])
    expect(frozenSize).toBe(1)
    expect(later.logIndex).toBe(1)
  })

  it('a rotation waits for a batch holding the lock; that batch lands before the freeze, later ones are refused', async () => {
    const held = gate()
    hooks.inLock = async () => {
      held.arrived()
      await held.opened
    }
    const first = appender.createEntry(hashedRekordEntry().proposed)
    await held.reached
    delete hooks.inLock
    let rotated = false
    const rotation = rotator.rotateKey().then((shard) => {
      rotated = true
      return shard
    })
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(rotated).toBe(false)
    held.open()
    const landed = await first
    const shard = await rotation
    expect(shard.startIndex).toBe(1)
    await expect(appender.createEntry(hashedRekordEntry().proposed)).rejects.toMatchObject({
      code: 'TLOG_KEY_MISMATCH',
    })
    const later = await rotator.createEntry(hashedRekordEntry().proposed)
    const { frozenSize } = await checkShards([landed, later])
    expect(frozenSize).toBe(1)
    expect(landed.logIndex).toBe(0)
    expect(later.logIndex).toBe(1)
  })

  it('free-running: concurrent appends from both instances around a rotation', async () => {
    const acknowledged: LogEntry[] = []
    const refused: unknown[] = []
    const settle = (promise: Promise<LogEntry>) =>
      promise.then(
        (entry) => {
          acknowledged.push(entry)
        },
        (error: unknown) => {
          refused.push(error)
        },
      )
    let rotated = false
    let attempts = 0
    const appending = (async () => {
      // Until a few rounds after the rotation committed, so some appends certainly race it or follow it.
      for (let after = 0; after < 3; ) {
        if (rotated) after++
        attempts += 4
        await Promise.all(
          Array.from({ length: 4 }, () => settle(appender.createEntry(hashedRekordEntry().proposed))),
        )
      }
    })()
    // Rotate while the appender is mid-stream, then keep appending through the new shard.
    while (acknowledged.length < 8) await new Promise((resolve) => setTimeout(resolve, 5))
    const rotation = rotator.rotateKey()
    const afterRotation = Array.from({ length: 6 }, () =>
      settle(rotator.createEntry(hashedRekordEntry().proposed)),
    )
    await rotation
    rotated = true
    await Promise.all([appending, ...afterRotation])
    const { frozen, current, frozenSize } = await checkShards(acknowledged)
    // Every refusal is the typed one; the appender (old key only) never retries into the new shard.
    for (const error of refused) expect(TlogError.is(error) && error.code).toBe('TLOG_KEY_MISMATCH')
    const inFrozen = acknowledged.filter((entry) => entry.logID === frozen.logId)
    const inCurrent = acknowledged.filter((entry) => entry.logID === current.logId)
    expect(inFrozen.length).toBe(frozenSize)
    expect(inCurrent.length).toBe(6)
    expect(acknowledged.length + refused.length).toBe(attempts + 6)
    expect(refused.length).toBeGreaterThanOrEqual(12)
  })
})
