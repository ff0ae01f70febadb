/**
 * The storage contract suite (`@certus-trust/storage/testing`): every backend calls
 * `runStorageContract({ name, create })` from its own tests and must pass all of it, with the same results
 * and the same errors (code, message and details) as every other backend.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StorageError } from './errors.js'
import type { LogLeaf, LogTree, LogTreeHead, LogWriteTransaction } from './log-storage.js'
import type { NewSignedArtifact, NewVerificationRecord, SignedArtifact } from './records.js'
import type { Storage } from './storage.js'

/** Options of {@link runStorageContract}. */
export interface StorageContractOptions {
  /** Shown in the suite title, e.g. `memory`, `postgres`. */
  name: string
  /** Returns a fresh, empty, migrated storage; called before every test. */
  create: () => Promise<Storage>
  /**
   * Disposes of a storage after each test.
   * @default storage => storage.close()
   */
  destroy?: (storage: Storage) => Promise<void>
}

const hex64 = (seed: number) => seed.toString(16).padStart(2, '0').repeat(32)
const hash = (seed: number) => `sha256:${hex64(seed)}`
const bytes32 = (seed: number) => new Uint8Array(32).fill(seed)
const LOG_ID_A = 'a1'.repeat(32)
const LOG_ID_B = 'b2'.repeat(32)
const T0 = Date.parse('2026-01-01T00:00:00.000Z')
const at = (offsetMs: number) => new Date(T0 + offsetMs)
const uuid = (seed: number) => `00000000-0000-4000-8000-${seed.toString(16).padStart(12, '0')}`
const cursorFor = (time: Date, id: string) =>
  Buffer.from(JSON.stringify([time.getTime(), id])).toString('base64url')

function artifact(overrides: Partial<NewSignedArtifact> = {}): NewSignedArtifact {
  return {
    artifactHash: hash(1),
    artifactType: 'file',
    subject: 'release.tar.gz',
    signature: 'MEUCIQDsignature==',
    bundle: {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      zeta: 1,
      alpha: { y: 2, b: [1, 'x', null] },
    },
    ...overrides,
  }
}

function verification(overrides: Partial<NewVerificationRecord> = {}): NewVerificationRecord {
  return { artifactHash: hash(1), valid: true, signer: 'alice@example.com', ...overrides }
}

function tree(treeId: string, overrides: Partial<LogTree> = {}): LogTree {
  return {
    treeId,
    origin: `certus.test - ${treeId}`,
    publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n',
    keyAlgorithm: 'ecdsa-p256',
    logId: LOG_ID_A,
    startIndex: 0,
    active: false,
    createdAt: at(0),
    ...overrides,
  }
}

function leaf(treeId: string, leafIndex: number, seed = leafIndex + 1, searchKeys: string[] = []): LogLeaf {
  return {
    treeId,
    leafIndex,
    leafHash: bytes32(seed),
    body: new TextEncoder().encode(`{"leaf":${seed}}`),
    integratedTime: 1_700_000_000 + leafIndex,
    signedEntryTimestamp: new Uint8Array([0x30, seed]),
    searchKeys,
  }
}

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise
  } catch (error) {
    if (!StorageError.is(error))
      throw new Error(`expected a StorageError, got ${String(error)}`, { cause: error })
    return error
  }
  throw new Error('expected the operation to reject')
}

/** Asserts the exact error: every backend must produce the same JSON. */
async function expectError(
  promise: Promise<unknown>,
  expected: { code: string; message: string; details?: Record<string, unknown> },
) {
  const error = await rejection(promise)
  expect(JSON.stringify(error.toJSON())).toBe(
    JSON.stringify({
      name: 'StorageError',
      code: expected.code,
      message: expected.message,
      details: expected.details ?? {},
    }),
  )
  expect(error).toBeInstanceOf(Error)
}

async function expectInvalidRecord(promise: Promise<unknown>, message: string, path: string) {
  const error = await rejection(promise)
  expect(error.code).toBe('STORAGE_INVALID_RECORD')
  expect(error.message).toBe(message)
  const issues = error.details.issues as Array<{ path: string }>
  expect(issues.map((issue) => issue.path)).toContain(path)
}

/** A tree head of `treeSize` whose root is `bytes32(seed)`. */
function treeHead(treeId: string, treeSize: number, seed: number): LogTreeHead {
  return {
    treeId,
    treeSize,
    rootHash: bytes32(seed),
    checkpoint: `certus.test - ${treeId}\n${treeSize}\nroot\n\n— sig\n`,
    createdAt: at(treeSize),
  }
}

function isPlainBytes(value: unknown): boolean {
  return value instanceof Uint8Array && Object.getPrototypeOf(value) === Uint8Array.prototype
}

/**
 * Registers the storage contract suite with vitest. Call it at the top level of a test file.
 *
 * @example
 * import { runStorageContract } from '@certus-trust/storage/testing'
 * runStorageContract({ name: 'memory', create: async () => createMemoryStorage() })
 */
export function runStorageContract(options: StorageContractOptions): void {
  const destroy = options.destroy ?? ((storage: Storage) => storage.close())

  describe(`storage contract: ${options.name}`, () => {
    let storage: Storage
    beforeEach(async () => {
      storage = await options.create()
    })
    afterEach(async () => {
      await destroy(storage)
    })

    describe('signed artifacts', () => {
      it('stores a minimal record, normalises it and fills id and createdAt', async () => {
        const before = Date.now()
        const saved = await storage.saveSignedArtifact(
          artifact({ artifactHash: `sha256:${'AB'.repeat(32)}` }),
        )
        const after = Date.now()
        expect(saved.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        expect(saved.artifactHash).toBe(`sha256:${'ab'.repeat(32)}`)
        expect(saved.createdAt.getTime()).toBeGreaterThanOrEqual(before)
        expect(saved.createdAt.getTime()).toBeLessThanOrEqual(after)
        expect(Object.keys(saved)).toEqual([
          'id',
          'artifactHash',
          'artifactType',
          'subject',
          'signature',
          'bundle',
          'createdAt',
        ])
        const loaded = await storage.getSignedArtifact(saved.id)
        expect(loaded).toStrictEqual(saved)
        // Key order of the bundle is preserved byte for byte (jsonb would reorder it).
        expect(JSON.stringify(loaded.bundle)).toBe(JSON.stringify(artifact().bundle))
      })

      it('round-trips every field exactly', async () => {
        const input = artifact({
          id: uuid(1).toUpperCase(),
          artifactType: 'provenance',
          certificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
          publicKey: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n',
          transparencyEntryUuid: `${'0'.repeat(15)}1${'C'.repeat(64)}`,
          logIndex: 9_007_199_254_740_991,
          integratedTime: 1_700_000_123,
          logId: LOG_ID_A.toUpperCase(),
          predicates: { predicateType: 'https://slsa.dev/provenance/v1', z: [1.5, true, { a: null }] },
          createdAt: at(1234),
          idempotencyKey: 'request-42',
        })
        const saved = await storage.saveSignedArtifact(input)
        const expected: SignedArtifact = {
          id: uuid(1),
          artifactHash: hash(1),
          artifactType: 'provenance',
          subject: 'release.tar.gz',
          signature: 'MEUCIQDsignature==',
          bundle: artifact().bundle,
          createdAt: at(1234),
          certificate: input.certificate!,
          publicKey: input.publicKey!,
          transparencyEntryUuid: `${'0'.repeat(15)}1${'c'.repeat(64)}`,
          logIndex: 9_007_199_254_740_991,
          integratedTime: 1_700_000_123,
          logId: LOG_ID_A,
          predicates: input.predicates!,
          idempotencyKey: 'request-42',
        }
        expect(saved).toStrictEqual(expected)
        const loaded = await storage.getSignedArtifact(uuid(1))
        expect(JSON.stringify(loaded)).toBe(JSON.stringify(saved))
        expect(loaded.createdAt).toBeInstanceOf(Date)
      })

      it('hands out copies: mutating a returned record changes nothing stored', async () => {
        const saved = await storage.saveSignedArtifact(artifact())
        ;(saved.bundle as Record<string, unknown>).zeta = 'changed'
        saved.createdAt.setTime(0)
        const loaded = await storage.getSignedArtifact(saved.id)
        expect(loaded.bundle.zeta).toBe(1)
        expect(loaded.createdAt.getTime()).not.toBe(0)
      })

      it.each([
        ['artifactHash', { artifactHash: 'sha256:abc' }],
        ['artifactHash', { artifactHash: `sha512:${hex64(1)}` }],
        ['artifactType', { artifactType: 'Not A Type' }],
        ['subject', { subject: '' }],
        ['bundle', { bundle: [1, 2] as unknown as Record<string, never> }],
        ['logIndex', { logIndex: -1 }],
        ['logIndex', { logIndex: 1.5 }],
        ['transparencyEntryUuid', { transparencyEntryUuid: 'xyz' }],
        ['logId', { logId: 'abc' }],
        ['id', { id: 'not-a-uuid' }],
        ['idempotencyKey', { idempotencyKey: 'has space' }],
        ['createdAt', { createdAt: new Date(Number.NaN) }],
      ])('rejects an invalid %s with STORAGE_INVALID_RECORD', async (path, overrides) => {
        await expectInvalidRecord(
          storage.saveSignedArtifact(artifact(overrides)),
          'invalid signed artifact',
          path,
        )
        const page = await storage.listSignedArtifacts()
        expect(page.items).toHaveLength(0)
      })

      it('refuses text no backend can store unchanged (U+0000, unpaired surrogates)', async () => {
        await expectInvalidRecord(
          storage.saveSignedArtifact(artifact({ subject: 'a\u0000b' })),
          'invalid signed artifact',
          'subject',
        )
        await expectInvalidRecord(
          storage.saveSignedArtifact(artifact({ signature: '\uD800' })),
          'invalid signed artifact',
          'signature',
        )
        await expectInvalidRecord(
          storage.saveVerificationRecord(verification({ signer: 'x\uDC00' })),
          'invalid verification record',
          'signer',
        )
        await expectError(storage.listSignedArtifacts({ subject: 'a\u0000' }), {
          code: 'STORAGE_INVALID_QUERY',
          message: 'subject must be a string without U+0000 or unpaired surrogates',
          details: { parameter: 'subject' },
        })
        // Well-formed non-ASCII text and escaped NULs inside JSON round-trip exactly.
        const saved = await storage.saveSignedArtifact(
          artifact({ subject: 'résumé 📦', bundle: { note: 'a\u0000b', emoji: '📦' } }),
        )
        const loaded = await storage.getSignedArtifact(saved.id)
        expect(loaded.subject).toBe('résumé 📦')
        expect(JSON.stringify(loaded.bundle)).toBe(JSON.stringify({ note: 'a\u0000b', emoji: '📦' }))
      })

      it('rejects a missing bundle and non-object input', async () => {
        const { bundle: _bundle, ...withoutBundle } = artifact()
        await expectInvalidRecord(
          storage.saveSignedArtifact(withoutBundle as NewSignedArtifact),
          'invalid signed artifact',
          'bundle',
        )
        const error = await rejection(storage.saveSignedArtifact(null as unknown as NewSignedArtifact))
        expect(error.code).toBe('STORAGE_INVALID_RECORD')
      })

      it('reports unknown and malformed ids as STORAGE_NOT_FOUND', async () => {
        const notFound = { code: 'STORAGE_NOT_FOUND', message: 'signed artifact not found' }
        await expectError(storage.getSignedArtifact(uuid(99)), notFound)
        await expectError(storage.getSignedArtifact('nope'), notFound)
        await expectError(storage.getSignedArtifactByEntryUuid(hex64(7)), notFound)
        await expectError(storage.getSignedArtifactByEntryUuid('nope'), notFound)
        await expectError(storage.getSignedArtifactByLogIndex(5), notFound)
      })

      it('rejects a duplicate id, entry uuid or (logId, logIndex) with STORAGE_CONFLICT and keeps the first', async () => {
        await storage.saveSignedArtifact(
          artifact({ id: uuid(1), transparencyEntryUuid: hex64(5), logIndex: 5, logId: LOG_ID_A }),
        )
        await expectError(storage.saveSignedArtifact(artifact({ id: uuid(1), artifactHash: hash(2) })), {
          code: 'STORAGE_CONFLICT',
          message: 'a signed artifact with this id already exists',
          details: { field: 'id' },
        })
        // The 80-hex entry ID of the same entry is the same entry.
        await expectError(
          storage.saveSignedArtifact(artifact({ transparencyEntryUuid: `${'1'.repeat(16)}${hex64(5)}` })),
          {
            code: 'STORAGE_CONFLICT',
            message: 'a signed artifact for this transparency entry already exists',
            details: { field: 'transparencyEntryUuid' },
          },
        )
        await expectError(storage.saveSignedArtifact(artifact({ logIndex: 5, logId: LOG_ID_A })), {
          code: 'STORAGE_CONFLICT',
          message: 'a signed artifact for this log index already exists',
          details: { field: 'logIndex' },
        })
        // The same index in another log is a different entry.
        await storage.saveSignedArtifact(artifact({ logIndex: 5, logId: LOG_ID_B }))
        const page = await storage.listSignedArtifacts()
        expect(page.items).toHaveLength(2)
        expect((await storage.getSignedArtifact(uuid(1))).artifactHash).toBe(hash(1))
      })

      it('returns the same record for a repeated idempotency key, never a second one', async () => {
        const first = await storage.saveSignedArtifact(
          artifact({ idempotencyKey: 'key-1', subject: 'first' }),
        )
        const again = await storage.saveSignedArtifact(
          artifact({ idempotencyKey: 'key-1', subject: 'second' }),
        )
        expect(again).toStrictEqual(first)
        const concurrent = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            storage.saveSignedArtifact(artifact({ idempotencyKey: 'key-2', subject: `c${i}` })),
          ),
        )
        expect(new Set(concurrent.map((record) => record.id)).size).toBe(1)
        const page = await storage.listSignedArtifactsByHash(hash(1))
        expect(page.items).toHaveLength(2)
        await expectError(
          storage.saveSignedArtifact(artifact({ idempotencyKey: 'key-1', artifactHash: hash(2) })),
          {
            code: 'STORAGE_CONFLICT',
            message: 'the idempotency key was already used for a different artifact',
            details: { field: 'idempotencyKey' },
          },
        )
      })

      it('finds a record by entry uuid (64-hex or 80-hex, any case) and by log index', async () => {
        const saved = await storage.saveSignedArtifact(
          artifact({
            transparencyEntryUuid: `${'2'.repeat(16)}${hex64(0xcd)}`,
            logIndex: 77,
            logId: LOG_ID_A,
            createdAt: at(1),
          }),
        )
        expect(await storage.getSignedArtifactByEntryUuid(hex64(0xcd))).toStrictEqual(saved)
        expect(
          await storage.getSignedArtifactByEntryUuid(`${'2'.repeat(16)}${hex64(0xcd)}`.toUpperCase()),
        ).toStrictEqual(saved)
        expect(await storage.getSignedArtifactByEntryUuid(`${'3'.repeat(16)}${hex64(0xcd)}`)).toStrictEqual(
          saved,
        )
        const newer = await storage.saveSignedArtifact(
          artifact({ logIndex: 77, logId: LOG_ID_B, createdAt: at(2) }),
        )
        expect(await storage.getSignedArtifactByLogIndex(77, { logId: LOG_ID_A })).toStrictEqual(saved)
        expect(
          await storage.getSignedArtifactByLogIndex(77, { logId: LOG_ID_B.toUpperCase() }),
        ).toStrictEqual(newer)
        expect(await storage.getSignedArtifactByLogIndex(77)).toStrictEqual(newer)
        await expectError(storage.getSignedArtifactByLogIndex(78, { logId: LOG_ID_A }), {
          code: 'STORAGE_NOT_FOUND',
          message: 'signed artifact not found',
        })
        await expectError(storage.getSignedArtifactByLogIndex(-1), {
          code: 'STORAGE_INVALID_QUERY',
          message: 'logIndex must be a non-negative safe integer',
          details: { parameter: 'logIndex' },
        })
        await expectError(storage.getSignedArtifactByLogIndex(1, { logId: 'zz' }), {
          code: 'STORAGE_INVALID_QUERY',
          message: 'logId must be 64 hex digits',
          details: { parameter: 'logId' },
        })
      })

      it('lists by hash newest first with cursor pagination (ties broken by id)', async () => {
        const ids = [uuid(1), uuid(2), uuid(3), uuid(4), uuid(5)]
        const times = [at(10), at(30), at(30), at(20), at(40)]
        for (const [i, id] of ids.entries())
          await storage.saveSignedArtifact(artifact({ id, createdAt: times[i]! }))
        await storage.saveSignedArtifact(artifact({ artifactHash: hash(2), createdAt: at(50) }))
        const order = [uuid(5), uuid(3), uuid(2), uuid(4), uuid(1)]
        const first = await storage.listSignedArtifactsByHash(`sha256:${hex64(1).toUpperCase()}`, {
          limit: 2,
        })
        expect(first.items.map((record) => record.id)).toEqual(order.slice(0, 2))
        expect(first.nextCursor).toBe(cursorFor(at(30), uuid(3)))
        const second = await storage.listSignedArtifactsByHash(hash(1), {
          limit: 2,
          cursor: first.nextCursor!,
        })
        expect(second.items.map((record) => record.id)).toEqual(order.slice(2, 4))
        const third = await storage.listSignedArtifactsByHash(hash(1), {
          limit: 2,
          cursor: second.nextCursor!,
        })
        expect(third.items.map((record) => record.id)).toEqual(order.slice(4))
        expect(third).not.toHaveProperty('nextCursor')
        const exact = await storage.listSignedArtifactsByHash(hash(1), { limit: 5 })
        expect(exact.items).toHaveLength(5)
        expect(exact).not.toHaveProperty('nextCursor')
        const all = await storage.listSignedArtifactsByHash(hash(1))
        expect(all.items.map((record) => record.id)).toEqual(order)
        expect(await storage.listSignedArtifactsByHash(hash(3))).toStrictEqual({ items: [] })
      })

      it('lists with filters (artifactType, subject, [createdFrom, createdTo)) and pagination', async () => {
        const rows: Array<[number, string, string, number]> = [
          [1, 'sbom', 'app', 100],
          [2, 'sbom', 'lib', 200],
          [3, 'provenance', 'app', 300],
          [4, 'sbom', 'app', 400],
          [5, 'container', 'app', 500],
        ]
        for (const [seed, artifactType, subject, time] of rows) {
          await storage.saveSignedArtifact(
            artifact({
              id: uuid(seed),
              artifactHash: hash(seed),
              artifactType,
              subject,
              createdAt: at(time),
            }),
          )
        }
        const ids = async (query: Parameters<Storage['listSignedArtifacts']>[0]) =>
          (await storage.listSignedArtifacts(query)).items.map((record) => record.id)
        expect(await ids({})).toEqual([uuid(5), uuid(4), uuid(3), uuid(2), uuid(1)])
        expect(await ids({ artifactType: 'sbom' })).toEqual([uuid(4), uuid(2), uuid(1)])
        expect(await ids({ artifactType: 'sbom', subject: 'app' })).toEqual([uuid(4), uuid(1)])
        expect(await ids({ subject: 'app', createdFrom: at(300), createdTo: at(500) })).toEqual([
          uuid(4),
          uuid(3),
        ])
        expect(await ids({ createdFrom: at(500) })).toEqual([uuid(5)])
        expect(await ids({ createdTo: at(100) })).toEqual([])
        expect(await ids({ artifactHash: hash(2) })).toEqual([uuid(2)])
        const page = await storage.listSignedArtifacts({ artifactType: 'sbom', limit: 1 })
        expect(page.nextCursor).toBe(cursorFor(at(400), uuid(4)))
        const rest = await storage.listSignedArtifacts({
          artifactType: 'sbom',
          limit: 5,
          cursor: page.nextCursor!,
        })
        expect(rest.items.map((record) => record.id)).toEqual([uuid(2), uuid(1)])
      })

      it('rejects malformed queries with STORAGE_INVALID_QUERY', async () => {
        const limitError = {
          code: 'STORAGE_INVALID_QUERY',
          message: 'limit must be an integer in [1, 1000]',
          details: { parameter: 'limit' },
        }
        await expectError(storage.listSignedArtifacts({ limit: 0 }), limitError)
        await expectError(storage.listSignedArtifacts({ limit: 1001 }), limitError)
        await expectError(storage.listSignedArtifactsByHash(hash(1), { limit: 2.5 }), limitError)
        await expectError(storage.listVerificationRecords({ limit: -1 }), limitError)
        const cursorError = {
          code: 'STORAGE_INVALID_QUERY',
          message: 'cursor is malformed',
          details: { parameter: 'cursor' },
        }
        await expectError(storage.listSignedArtifacts({ cursor: 'not a cursor' }), cursorError)
        await expectError(
          storage.listSignedArtifacts({ cursor: Buffer.from('[1,"x"]').toString('base64url') }),
          cursorError,
        )
        await expectError(storage.listVerificationRecords({ cursor: 'eyJ9' }), cursorError)
        const hashError = {
          code: 'STORAGE_INVALID_QUERY',
          message: 'artifactHash must be sha256:<64 hex digits>',
          details: { parameter: 'artifactHash' },
        }
        await expectError(storage.listSignedArtifactsByHash('sha256:xyz'), hashError)
        await expectError(storage.listSignedArtifactsByHash(undefined as unknown as string), hashError)
        await expectError(storage.listVerificationRecords({ artifactHash: 'md5:1' }), hashError)
        await expectError(storage.listSignedArtifacts({ createdFrom: new Date(Number.NaN) }), {
          code: 'STORAGE_INVALID_QUERY',
          message: 'createdFrom must be a valid Date',
          details: { parameter: 'createdFrom' },
        })
      })
    })

    describe('verification records', () => {
      it('stores, normalises and reads back a valid and an invalid verification', async () => {
        const ok = await storage.saveVerificationRecord(
          verification({
            artifactHash: `sha256:${hex64(0xab).toUpperCase()}`,
            signature: 'MEQC',
            issuer: 'https://accounts.example.com',
            transparencyIndex: 12,
            verifiedAt: at(5),
          }),
        )
        expect(ok).toStrictEqual({
          id: ok.id,
          artifactHash: hash(0xab),
          valid: true,
          verifiedAt: at(5),
          signature: 'MEQC',
          signer: 'alice@example.com',
          issuer: 'https://accounts.example.com',
          transparencyIndex: 12,
        })
        expect(await storage.getVerificationRecord(ok.id)).toStrictEqual(ok)
        const failed = await storage.saveVerificationRecord(
          verification({
            id: uuid(7),
            valid: false,
            failureCode: 'VERIFIER_SIGNATURE_INVALID',
            failureMessage: 'signature does not match',
          }),
        )
        expect(Object.keys(failed)).toEqual([
          'id',
          'artifactHash',
          'valid',
          'verifiedAt',
          'signer',
          'failureCode',
          'failureMessage',
        ])
        expect(JSON.stringify(await storage.getVerificationRecord(uuid(7)))).toBe(JSON.stringify(failed))
      })

      it('validates, detects duplicates and reports unknown ids', async () => {
        await expectInvalidRecord(
          storage.saveVerificationRecord(verification({ valid: false })),
          'invalid verification record',
          'failureCode',
        )
        await expectInvalidRecord(
          storage.saveVerificationRecord(verification({ failureCode: 'X' })),
          'invalid verification record',
          'failureCode',
        )
        await expectInvalidRecord(
          storage.saveVerificationRecord(verification({ artifactHash: 'abc' })),
          'invalid verification record',
          'artifactHash',
        )
        await storage.saveVerificationRecord(verification({ id: uuid(1) }))
        await expectError(storage.saveVerificationRecord(verification({ id: uuid(1) })), {
          code: 'STORAGE_CONFLICT',
          message: 'a verification record with this id already exists',
          details: { field: 'id' },
        })
        await expectError(storage.getVerificationRecord(uuid(2)), {
          code: 'STORAGE_NOT_FOUND',
          message: 'verification record not found',
        })
        await expectError(storage.getVerificationRecord('x'), {
          code: 'STORAGE_NOT_FOUND',
          message: 'verification record not found',
        })
      })

      it('lists with filters and pagination, newest first', async () => {
        const rows: Array<[number, number, boolean, number]> = [
          [1, 1, true, 100],
          [2, 1, false, 200],
          [3, 2, true, 300],
          [4, 1, true, 300],
        ]
        for (const [seed, hashSeed, valid, time] of rows) {
          await storage.saveVerificationRecord(
            verification({
              id: uuid(seed),
              artifactHash: hash(hashSeed),
              valid,
              verifiedAt: at(time),
              ...(valid ? {} : { failureCode: 'F' }),
            }),
          )
        }
        const ids = async (query: Parameters<Storage['listVerificationRecords']>[0]) =>
          (await storage.listVerificationRecords(query)).items.map((record) => record.id)
        expect(await ids(undefined)).toEqual([uuid(4), uuid(3), uuid(2), uuid(1)])
        expect(await ids({ artifactHash: hash(1) })).toEqual([uuid(4), uuid(2), uuid(1)])
        expect(await ids({ valid: false })).toEqual([uuid(2)])
        expect(await ids({ verifiedFrom: at(200), verifiedTo: at(300) })).toEqual([uuid(2)])
        const page = await storage.listVerificationRecords({ limit: 3 })
        expect(page.nextCursor).toBe(cursorFor(at(200), uuid(2)))
        const rest = await storage.listVerificationRecords({ limit: 3, cursor: page.nextCursor! })
        expect(rest).toStrictEqual({ items: [await storage.getVerificationRecord(uuid(1))] })
      })
    })

    describe('log trees', () => {
      it('creates and lists trees oldest first, exactly as given', async () => {
        await storage.createTree(tree('2', { active: true, createdAt: at(2), startIndex: 0 }))
        await storage.createTree(
          tree('1', { createdAt: at(1), frozenAt: at(3), logId: LOG_ID_B, keyAlgorithm: 'ed25519' }),
        )
        const trees = await storage.listTrees()
        expect(trees).toStrictEqual([
          tree('2', { active: true, createdAt: at(2) }),
          tree('1', { createdAt: at(1), frozenAt: at(3), logId: LOG_ID_B, keyAlgorithm: 'ed25519' }),
        ])
        expect(Object.keys(trees[0]!)).not.toContain('frozenAt')
      })

      it('rejects duplicate ids, a second active tree and invalid trees', async () => {
        await storage.createTree(tree('5', { active: true }))
        await expectError(storage.createTree(tree('5')), {
          code: 'STORAGE_CONFLICT',
          message: 'a log tree with this id already exists',
          details: { treeId: '5' },
        })
        await expectError(storage.createTree(tree('6', { active: true })), {
          code: 'STORAGE_CONFLICT',
          message: 'another log tree is already active',
        })
        await expectInvalidRecord(storage.createTree(tree('0')), 'invalid log tree', 'treeId')
        await expectInvalidRecord(
          storage.createTree(tree('9223372036854775808')),
          'invalid log tree',
          'treeId',
        )
        await expectInvalidRecord(
          storage.createTree(tree('7', { logId: 'xyz' })),
          'invalid log tree',
          'logId',
        )
        expect((await storage.listTrees()).map((t) => t.treeId)).toEqual(['5'])
      })

      it('rotates: freezes the old tree and activates the next, atomically', async () => {
        await storage.createTree(tree('10', { active: true }))
        await storage.rotateTree(
          '10',
          at(500),
          tree('11', { active: false, startIndex: 3, createdAt: at(500), logId: LOG_ID_B }),
        )
        expect(await storage.listTrees()).toStrictEqual([
          tree('10', { active: false, frozenAt: at(500) }),
          tree('11', { active: true, startIndex: 3, createdAt: at(500), logId: LOG_ID_B }),
        ])
        await expectError(storage.rotateTree('10', at(600), tree('12')), {
          code: 'STORAGE_CONFLICT',
          message: 'log tree is already frozen',
          details: { treeId: '10' },
        })
        await expectError(storage.rotateTree('99', at(600), tree('12')), {
          code: 'STORAGE_NOT_FOUND',
          message: 'log tree not found',
          details: { treeId: '99' },
        })
        await expectError(storage.rotateTree('11', at(600), tree('10')), {
          code: 'STORAGE_CONFLICT',
          message: 'a log tree with this id already exists',
          details: { treeId: '10' },
        })
        // A failed rotation changed nothing.
        expect((await storage.listTrees()).map((t) => [t.treeId, t.active])).toEqual([
          ['10', false],
          ['11', true],
        ])
      })
    })

    describe('log leaves, nodes and tree heads', () => {
      const TREE = '42'
      beforeEach(async () => {
        await storage.createTree(tree(TREE, { active: true }))
      })
      const append = (leaves: LogLeaf[]) => storage.withTreeLock(TREE, (tx) => tx.appendLeaves(leaves))

      it('appends gapless leaves and reads them by index, hash and range', async () => {
        await append([
          leaf(TREE, 0),
          leaf(TREE, 1),
          leaf(TREE, 2, 3, ['sha256:aa', 'sha256:aa', 'email:a@example.com']),
        ])
        await append([leaf(TREE, 3), leaf(TREE, 4)])
        expect(await storage.getLeafCount(TREE)).toBe(5)
        const third = await storage.getLeafByIndex(TREE, 2)
        expect(third).toStrictEqual({ ...leaf(TREE, 2, 3, ['sha256:aa', 'email:a@example.com']) })
        expect(
          isPlainBytes(third!.leafHash) &&
            isPlainBytes(third!.body) &&
            isPlainBytes(third!.signedEntryTimestamp),
        ).toBe(true)
        expect(await storage.getLeafByHash(TREE, bytes32(4))).toStrictEqual(leaf(TREE, 3))
        expect(await storage.getLeafByHash(TREE, bytes32(99))).toBeUndefined()
        expect(await storage.getLeafByIndex(TREE, 5)).toBeUndefined()
        expect(await storage.getLeafByIndex('43', 0)).toBeUndefined()
        expect(await storage.getLeafCount('43')).toBe(0)
        const hashes = await storage.getLeafHashes(TREE, 1, 4)
        expect(hashes).toStrictEqual([bytes32(2), bytes32(3), bytes32(4)])
        expect(hashes.every(isPlainBytes)).toBe(true)
        expect(await storage.getLeafHashes(TREE, 5, 5)).toStrictEqual([])
        await expectError(storage.getLeafHashes(TREE, 3, 6), {
          code: 'STORAGE_NOT_FOUND',
          message: 'leaf range extends beyond the stored leaves',
          details: { treeId: TREE, start: 3, end: 6 },
        })
        await expectError(storage.getLeafHashes(TREE, 3, 2), {
          code: 'STORAGE_INVALID_QUERY',
          message: 'start must not exceed end',
          details: { parameter: 'start', start: 3, end: 2 },
        })
        await expectError(storage.getLeafByIndex(TREE, -1), {
          code: 'STORAGE_INVALID_QUERY',
          message: 'leafIndex must be a non-negative safe integer',
          details: { parameter: 'leafIndex' },
        })
      })

      it('rejects non-contiguous indices with STORAGE_CONFLICT and writes nothing', async () => {
        await append([leaf(TREE, 0)])
        await expectError(append([leaf(TREE, 2)]), {
          code: 'STORAGE_CONFLICT',
          message: 'leaf indices must continue the tree without gaps',
          details: { treeId: TREE, expectedLeafIndex: 1, leafIndex: 2 },
        })
        await expectError(append([leaf(TREE, 0, 50)]), {
          code: 'STORAGE_CONFLICT',
          message: 'leaf indices must continue the tree without gaps',
          details: { treeId: TREE, expectedLeafIndex: 1, leafIndex: 0 },
        })
        await expectError(append([leaf(TREE, 1), leaf(TREE, 3)]), {
          code: 'STORAGE_CONFLICT',
          message: 'leaf indices must continue the tree without gaps',
          details: { treeId: TREE, expectedLeafIndex: 2, leafIndex: 3 },
        })
        expect(await storage.getLeafCount(TREE)).toBe(1)
        expect(await storage.getLeafByIndex(TREE, 1)).toBeUndefined()
      })

      it('rejects a duplicate leaf hash (stored or within the batch)', async () => {
        await append([leaf(TREE, 0, 7)])
        const duplicate = {
          code: 'STORAGE_CONFLICT',
          message: 'a leaf with this hash already exists in the tree',
          details: { treeId: TREE, leafHash: '07'.repeat(32) },
        }
        await expectError(append([leaf(TREE, 1, 7)]), duplicate)
        await expectError(append([leaf(TREE, 1, 8), leaf(TREE, 2, 8)]), {
          ...duplicate,
          details: { treeId: TREE, leafHash: '08'.repeat(32) },
        })
        expect(await storage.getLeafCount(TREE)).toBe(1)
        // The same hash in another tree is fine.
        await storage.createTree(tree('43'))
        await storage.withTreeLock('43', (tx) => tx.appendLeaves([leaf('43', 0, 7)]))
        expect(await storage.getLeafCount('43')).toBe(1)
      })

      it('validates leaves and refuses writes to another tree than the locked one', async () => {
        await storage.createTree(tree('43'))
        await expectError(append([leaf('43', 0)]), {
          code: 'STORAGE_INVALID_RECORD',
          message: 'log leaf belongs to a different tree than the one locked',
          details: { issues: [{ path: 'treeId', message: 'does not match the locked tree' }] },
        })
        await expectInvalidRecord(
          append([{ ...leaf(TREE, 0), leafHash: new Uint8Array(31) }]),
          'invalid log leaf',
          'leafHash',
        )
        await expectInvalidRecord(
          append([{ ...leaf(TREE, 0), integratedTime: -5 }]),
          'invalid log leaf',
          'integratedTime',
        )
        await expectError(
          storage.withTreeLock(TREE, (tx) => tx.putNodes('43', [{ level: 1, index: 0, hash: bytes32(1) }])),
          {
            code: 'STORAGE_INVALID_RECORD',
            message: 'write targets a different tree than the one locked',
            details: { issues: [{ path: 'treeId', message: 'does not match the locked tree' }] },
          },
        )
        await expectError(
          storage.withTreeLock('77', async () => 'never'),
          {
            code: 'STORAGE_NOT_FOUND',
            message: 'log tree not found',
            details: { treeId: '77' },
          },
        )
        expect(await storage.getLeafCount(TREE)).toBe(0)
      })

      it('answers reads for ids no tree can have as absent, and refuses unstorable search keys', async () => {
        expect(await storage.getLeafCount('x\u0000')).toBe(0)
        expect(await storage.getLeafByIndex('abc', 0)).toBeUndefined()
        expect(await storage.getLeafByHash('abc', bytes32(1))).toBeUndefined()
        expect(await storage.getLatestTreeHead('\u0000')).toBeUndefined()
        expect(await storage.getTreeHead('-1', 0)).toBeUndefined()
        expect((await storage.getNodes('abc', [{ level: 1, index: 0 }])).size).toBe(0)
        expect(await storage.getLeafHashes('abc', 0, 0)).toStrictEqual([])
        expect(await storage.findLeavesBySearchKey('a\u0000')).toStrictEqual([])
        await expectError(storage.rotateTree('a\u0000', at(1), tree('44')), {
          code: 'STORAGE_NOT_FOUND',
          message: 'log tree not found',
          details: { treeId: 'a\u0000' },
        })
        await expectInvalidRecord(
          append([leaf(TREE, 0, 1, ['ok', 'bad\u0000'])]),
          'invalid log leaf',
          'searchKeys.1',
        )
        expect(await storage.getLeafCount(TREE)).toBe(0)
      })

      it('stores nodes idempotently and rejects a different hash for a stored node', async () => {
        await storage.withTreeLock(TREE, (tx) =>
          tx.putNodes(TREE, [
            { level: 1, index: 0, hash: bytes32(10) },
            { level: 2, index: 0, hash: bytes32(20) },
          ]),
        )
        await storage.withTreeLock(TREE, (tx) =>
          tx.putNodes(TREE, [{ level: 1, index: 0, hash: bytes32(10) }]),
        )
        const nodes = await storage.getNodes(TREE, [
          { level: 1, index: 0 },
          { level: 2, index: 0 },
          { level: 1, index: 1 },
        ])
        expect([...nodes.entries()].sort()).toStrictEqual([
          ['1:0', bytes32(10)],
          ['2:0', bytes32(20)],
        ])
        expect([...nodes.values()].every(isPlainBytes)).toBe(true)
        const mismatch = {
          code: 'STORAGE_CONFLICT',
          message: 'a different hash is already stored for this node',
          details: { treeId: TREE, level: 1, index: 0 },
        }
        await expectError(
          storage.withTreeLock(TREE, (tx) => tx.putNodes(TREE, [{ level: 1, index: 0, hash: bytes32(11) }])),
          mismatch,
        )
        // A new node beside a clashing one: the clash is named and neither is written.
        await expectError(
          storage.withTreeLock(TREE, (tx) =>
            tx.putNodes(TREE, [
              { level: 4, index: 0, hash: bytes32(40) },
              { level: 1, index: 0, hash: bytes32(12) },
            ]),
          ),
          mismatch,
        )
        expect((await storage.getNodes(TREE, [{ level: 4, index: 0 }])).size).toBe(0)
        await expectError(
          storage.withTreeLock(TREE, (tx) =>
            tx.putNodes(TREE, [
              { level: 3, index: 0, hash: bytes32(1) },
              { level: 3, index: 0, hash: bytes32(2) },
            ]),
          ),
          { ...mismatch, details: { treeId: TREE, level: 3, index: 0 } },
        )
        expect((await storage.getNodes(TREE, [{ level: 3, index: 0 }])).size).toBe(0)
        expect((await storage.getNodes('43', [{ level: 1, index: 0 }])).size).toBe(0)
        await expectError(storage.getNodes(TREE, [{ level: -1, index: 0 }]), {
          code: 'STORAGE_INVALID_QUERY',
          message: 'node level must be an integer in [0, 64]',
          details: { parameter: 'level' },
        })
      })

      it('records tree heads once per size and returns the latest', async () => {
        expect(await storage.getLatestTreeHead(TREE)).toBeUndefined()
        const head = (treeSize: number, seed: number) => treeHead(TREE, treeSize, seed)
        await storage.withTreeLock(TREE, (tx) => tx.putTreeHead(head(0, 1)))
        await storage.withTreeLock(TREE, async (tx) => {
          await tx.appendLeaves([leaf(TREE, 0), leaf(TREE, 1)])
          await tx.putTreeHead(head(2, 2))
        })
        expect(await storage.getLatestTreeHead(TREE)).toStrictEqual(head(2, 2))
        expect(await storage.getTreeHead(TREE, 0)).toStrictEqual(head(0, 1))
        expect(await storage.getTreeHead(TREE, 1)).toBeUndefined()
        expect(isPlainBytes((await storage.getTreeHead(TREE, 2))!.rootHash)).toBe(true)
        await expectError(
          storage.withTreeLock(TREE, (tx) => tx.putTreeHead(head(2, 3))),
          {
            code: 'STORAGE_CONFLICT',
            message: 'a tree head for this size already exists',
            details: { treeId: TREE, treeSize: 2 },
          },
        )
        expect(await storage.getTreeHead(TREE, 2)).toStrictEqual(head(2, 2))
        await expectInvalidRecord(
          storage.withTreeLock(TREE, (tx) => tx.putTreeHead({ ...head(3, 1), rootHash: new Uint8Array(3) })),
          'invalid log tree head',
          'rootHash',
        )
      })

      it("answers a transaction's reads of its locked tree from its own writes", async () => {
        const head = (treeSize: number, seed: number) => treeHead(TREE, treeSize, seed)
        await storage.withTreeLock(TREE, async (tx) => {
          await tx.appendLeaves([leaf(TREE, 0)])
          await tx.putTreeHead(head(1, 1))
        })
        const seen = await storage.withTreeLock(TREE, async (tx) => {
          const before = { count: await tx.getLeafCount(TREE), head: await tx.getLatestTreeHead(TREE) }
          // Looked up first (found absent), then appended: the count and the head follow, and a second
          // append of the same hash is still refused although the lookup said "absent".
          expect(await tx.getLeavesByHash(TREE, [leaf(TREE, 1).leafHash])).toEqual([])
          await tx.appendLeaves([leaf(TREE, 1, 2, ['memo-key-a', 'memo-key-b'])])
          await expectError(tx.appendLeaves([leaf(TREE, 2, 2)]), {
            code: 'STORAGE_CONFLICT',
            message: 'a leaf with this hash already exists in the tree',
            details: { treeId: TREE, leafHash: Buffer.from(bytes32(2)).toString('hex') },
          })
          await tx.putTreeHead(head(0, 9)) // an older size does not become the latest
          await tx.putTreeHead(head(2, 2))
          const latest = await tx.getLatestTreeHead(TREE)
          latest!.rootHash[0] = 0xff // a caller's change reaches no later read
          return {
            before,
            count: await tx.getLeafCount(TREE),
            head: await tx.getLatestTreeHead(TREE),
            found: (await tx.getLeavesByHash(TREE, [leaf(TREE, 1).leafHash])).map((l) => l.leafIndex),
          }
        })
        expect(seen.before).toStrictEqual({ count: 1, head: head(1, 1) })
        expect(seen.count).toBe(2)
        expect(seen.head).toStrictEqual(head(2, 2))
        expect(seen.found).toEqual([1])
        expect(await storage.getLatestTreeHead(TREE)).toStrictEqual(head(2, 2))
        expect(await storage.getLeafCount(TREE)).toBe(2)
        expect((await storage.findLeavesBySearchKey('memo-key-b')).map((l) => l.leafIndex)).toEqual([1])
      })

      it('rolls back everything when the callback throws, and sees its own writes before that', async () => {
        await append([leaf(TREE, 0)])
        const failure = new Error('batch signing failed')
        const seen: unknown[] = []
        const error = await storage
          .withTreeLock(TREE, async (tx) => {
            await tx.appendLeaves([leaf(TREE, 1), leaf(TREE, 2)])
            await tx.putNodes(TREE, [{ level: 1, index: 0, hash: bytes32(30) }])
            await tx.putTreeHead({
              treeId: TREE,
              treeSize: 3,
              rootHash: bytes32(31),
              checkpoint: 'cp',
              createdAt: at(3),
            })
            seen.push(await tx.getLeafCount(TREE))
            seen.push(
              (await tx.getLeavesByHash(TREE, [bytes32(2), bytes32(3), bytes32(1), bytes32(77)]))
                .map((l) => l.leafIndex)
                .sort(),
            )
            seen.push((await tx.getNodes(TREE, [{ level: 1, index: 0 }])).get('1:0'))
            seen.push((await tx.getLatestTreeHead(TREE))?.treeSize)
            throw failure
          })
          .catch((caught: unknown) => caught)
        expect(error).toBe(failure)
        expect(seen).toStrictEqual([3, [0, 1, 2], bytes32(30), 3])
        expect(await storage.getLeafCount(TREE)).toBe(1)
        expect(await storage.getLeafByHash(TREE, bytes32(2))).toBeUndefined()
        expect((await storage.getNodes(TREE, [{ level: 1, index: 0 }])).size).toBe(0)
        expect(await storage.getLatestTreeHead(TREE)).toBeUndefined()
        expect(await storage.findLeavesBySearchKey('never')).toStrictEqual([])
        // The tree is still usable afterwards.
        await append([leaf(TREE, 1)])
        expect(await storage.getLeafCount(TREE)).toBe(2)
      })

      it('keeps the transaction usable after a rejected write inside it', async () => {
        const result = await storage.withTreeLock(TREE, async (tx) => {
          await tx.appendLeaves([leaf(TREE, 0)])
          const error = await rejection(tx.appendLeaves([leaf(TREE, 5)]))
          await tx.appendLeaves([leaf(TREE, 1)])
          return error.code
        })
        expect(result).toBe('STORAGE_CONFLICT')
        expect(await storage.getLeafCount(TREE)).toBe(2)
      })

      it('serialises writers: concurrent lock holders each see the previous commit', async () => {
        const writers = Array.from({ length: 8 }, (_, writer) =>
          storage.withTreeLock(TREE, async (tx) => {
            const count = await tx.getLeafCount(TREE)
            await tx.appendLeaves([
              leaf(TREE, count, 100 + writer * 2),
              leaf(TREE, count + 1, 101 + writer * 2),
            ])
            return count
          }),
        )
        const starts = await Promise.all(writers)
        expect([...starts].sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8, 10, 12, 14])
        expect(await storage.getLeafCount(TREE)).toBe(16)
        const hashes = await storage.getLeafHashes(TREE, 0, 16)
        expect(new Set(hashes.map((h) => Buffer.from(h).toString('hex'))).size).toBe(16)
      })

      it('rejects use of a transaction after its callback returned', async () => {
        let leaked: LogWriteTransaction | undefined
        await storage.withTreeLock(TREE, async (tx) => {
          leaked = tx
        })
        await expectError(leaked!.appendLeaves([leaf(TREE, 0)]), {
          code: 'STORAGE_CLOSED',
          message: 'the log transaction has already finished',
        })
        expect(await storage.getLeafCount(TREE)).toBe(0)
      })

      it('reads the tree record under the lock and rotates through the transaction', async () => {
        await append([leaf(TREE, 0), leaf(TREE, 1)])
        // A callback that fails after rotating leaves the tree active.
        await expect(
          storage.withTreeLock(TREE, async (tx) => {
            await tx.rotateTree!(at(20), tree('44', { startIndex: 2, createdAt: at(20) }))
            throw new Error('changed my mind')
          }),
        ).rejects.toThrow('changed my mind')
        expect((await storage.listTrees()).map((t) => [t.treeId, t.active])).toEqual([[TREE, true]])
        const seen = await storage.withTreeLock(TREE, async (tx) => {
          const before = await tx.getTree!(TREE)
          await tx.rotateTree!(at(20), tree('44', { startIndex: 2, createdAt: at(20) }))
          await expectError(tx.rotateTree!(at(21), tree('45')), {
            code: 'STORAGE_CONFLICT',
            message: 'log tree is already frozen',
            details: { treeId: TREE },
          })
          return { before, after: await tx.getTree!(TREE), next: await tx.getTree!('44') }
        })
        expect(seen.before).toStrictEqual(tree(TREE, { active: true }))
        expect(seen.after).toStrictEqual(tree(TREE, { active: false, frozenAt: at(20) }))
        expect(seen.next).toStrictEqual(tree('44', { active: true, startIndex: 2, createdAt: at(20) }))
        expect(await storage.listTrees()).toStrictEqual([
          tree(TREE, { active: false, frozenAt: at(20) }),
          tree('44', { active: true, startIndex: 2, createdAt: at(20) }),
        ])
        expect(await storage.withTreeLock(TREE, (tx) => tx.getTree!('999'))).toBeUndefined()
      })

      it('rotateTree waits for a running writer of the tree, whose next lock sees it frozen', async () => {
        let release!: () => void
        const gate = new Promise<void>((resolve) => {
          release = resolve
        })
        let locked!: () => void
        const holding = new Promise<void>((resolve) => {
          locked = resolve
        })
        const writer = storage.withTreeLock(TREE, async (tx) => {
          locked()
          await gate
          expect((await tx.getTree!(TREE))?.active).toBe(true)
          await tx.appendLeaves([leaf(TREE, 0)])
        })
        await holding
        let rotated = false
        const rotation = storage.rotateTree(TREE, at(30), tree('46', { startIndex: 1 })).then(() => {
          rotated = true
        })
        await new Promise((resolve) => setTimeout(resolve, 50))
        expect(rotated).toBe(false)
        release()
        await writer
        await rotation
        expect(await storage.getLeafCount(TREE)).toBe(1)
        expect(await storage.withTreeLock(TREE, async (tx) => (await tx.getTree!(TREE))?.active)).toBe(false)
      })

      it('finds leaves by search key across trees, oldest first, with a limit', async () => {
        await append([
          leaf(TREE, 0, 1, ['sha256:abc']),
          leaf(TREE, 1, 2, ['email:bob@example.com']),
          leaf(TREE, 2, 3, ['sha256:abc']),
        ])
        await storage.rotateTree(TREE, at(10), tree('43', { startIndex: 3, createdAt: at(10) }))
        await storage.withTreeLock('43', (tx) => tx.appendLeaves([leaf('43', 0, 1, ['sha256:abc'])]))
        expect(await storage.findLeavesBySearchKey('sha256:abc')).toStrictEqual([
          { treeId: TREE, leafIndex: 0 },
          { treeId: TREE, leafIndex: 2 },
          { treeId: '43', leafIndex: 0 },
        ])
        expect(await storage.findLeavesBySearchKey('sha256:abc', 2)).toStrictEqual([
          { treeId: TREE, leafIndex: 0 },
          { treeId: TREE, leafIndex: 2 },
        ])
        expect(await storage.findLeavesBySearchKey('email:bob@example.com')).toStrictEqual([
          { treeId: TREE, leafIndex: 1 },
        ])
        expect(await storage.findLeavesBySearchKey('SHA256:ABC')).toStrictEqual([])
        await expectError(storage.findLeavesBySearchKey('x', 0), {
          code: 'STORAGE_INVALID_QUERY',
          message: 'limit must be an integer in [1, 10000]',
          details: { parameter: 'limit' },
        })
      })
    })

    describe('unrecorded leaves (reconciliation)', () => {
      const TREE = '42'
      const MARK = 'certus:record'
      const entryUuid = (seed: number) => Buffer.from(bytes32(seed)).toString('hex')
      it('finds marked leaves without a record, oldest first, up to the time bound', async () => {
        if (!storage.findUnrecordedLeaves) return
        await storage.createTree(tree(TREE, { active: true }))
        await storage.withTreeLock(TREE, (tx) =>
          tx.appendLeaves([
            leaf(TREE, 0, 1, [MARK]),
            leaf(TREE, 1, 2, [MARK]),
            leaf(TREE, 2, 3, ['sha256:aa']),
            leaf(TREE, 3, 4, [MARK]),
            leaf(TREE, 4, 5, [MARK]),
          ]),
        )
        // Leaf 1 has its record (under the 80-hex entry ID form, which names the same entry).
        await storage.saveSignedArtifact(
          artifact({
            transparencyEntryUuid: `${'0'.repeat(16)}${entryUuid(2)}`,
            logIndex: 1,
            logId: LOG_ID_A,
          }),
        )
        const find = (query: Partial<Parameters<NonNullable<Storage['findUnrecordedLeaves']>>[0]> = {}) =>
          storage.findUnrecordedLeaves!({
            searchKey: MARK,
            integratedBefore: 1_700_000_003,
            limit: 10,
            ...query,
          })
        expect(await find()).toStrictEqual([
          { treeId: TREE, leafIndex: 0 },
          { treeId: TREE, leafIndex: 3 },
        ])
        expect(await find({ limit: 1 })).toStrictEqual([{ treeId: TREE, leafIndex: 0 }])
        expect(await find({ after: { treeId: TREE, leafIndex: 0 } })).toStrictEqual([
          { treeId: TREE, leafIndex: 3 },
        ])
        expect(await find({ integratedBefore: 1_700_000_010 })).toHaveLength(3)
        expect(await find({ searchKey: 'certus:other' })).toStrictEqual([])
        await storage.saveSignedArtifact(
          artifact({ transparencyEntryUuid: entryUuid(1), logIndex: 0, logId: LOG_ID_A }),
        )
        expect(await find()).toStrictEqual([{ treeId: TREE, leafIndex: 3 }])
        // Marks of recorded leaves can be dropped (in chunks); unrecorded leaves keep theirs.
        if (storage.forgetRecordedMarks) {
          const forget = { searchKey: MARK, integratedBefore: 1_700_000_003 }
          expect(await storage.forgetRecordedMarks({ ...forget, limit: 1 })).toBe(1)
          expect(await storage.forgetRecordedMarks({ ...forget, limit: 10 })).toBe(1)
          expect(await storage.forgetRecordedMarks({ ...forget, limit: 10 })).toBe(0)
          expect((await storage.findLeavesBySearchKey(MARK)).map((hit) => hit.leafIndex)).toEqual([3, 4])
          expect(await find({ integratedBefore: 1_700_000_010 })).toStrictEqual([
            { treeId: TREE, leafIndex: 3 },
            { treeId: TREE, leafIndex: 4 },
          ])
          expect((await storage.getLeafByIndex(TREE, 0))?.searchKeys).toEqual([MARK])
        }
        await expectError(find({ limit: 0 }), {
          code: 'STORAGE_INVALID_QUERY',
          message: 'limit must be an integer in [1, 1000]',
          details: { parameter: 'limit' },
        })
        await expectError(find({ searchKey: '' }), {
          code: 'STORAGE_INVALID_QUERY',
          message: 'searchKey must be a non-empty string',
          details: { parameter: 'searchKey' },
        })
      })
    })

    describe('lifecycle', () => {
      it('close() is idempotent and every later call rejects with STORAGE_CLOSED', async () => {
        await storage.createTree(tree('1', { active: true }))
        await storage.close()
        await storage.close()
        const closed = { code: 'STORAGE_CLOSED', message: 'storage is closed' }
        await expectError(storage.saveSignedArtifact(artifact()), closed)
        await expectError(storage.getSignedArtifact(uuid(1)), closed)
        await expectError(storage.listSignedArtifacts(), closed)
        await expectError(storage.listSignedArtifactsByHash(hash(1)), closed)
        await expectError(storage.getSignedArtifactByEntryUuid(hex64(1)), closed)
        await expectError(storage.getSignedArtifactByLogIndex(1), closed)
        await expectError(storage.saveVerificationRecord(verification()), closed)
        await expectError(storage.getVerificationRecord(uuid(1)), closed)
        await expectError(storage.listVerificationRecords(), closed)
        await expectError(storage.createTree(tree('2')), closed)
        await expectError(storage.rotateTree('1', at(1), tree('2')), closed)
        await expectError(storage.listTrees(), closed)
        await expectError(
          storage.withTreeLock('1', async () => 1),
          closed,
        )
        await expectError(storage.getLeafCount('1'), closed)
        await expectError(storage.getLeafByIndex('1', 0), closed)
        await expectError(storage.getLeafByHash('1', bytes32(1)), closed)
        await expectError(storage.getLeafHashes('1', 0, 0), closed)
        await expectError(storage.findLeavesBySearchKey('k'), closed)
        await expectError(storage.getNodes('1', []), closed)
        await expectError(storage.getLatestTreeHead('1'), closed)
        await expectError(storage.getTreeHead('1', 0), closed)
        await storage[Symbol.asyncDispose]()
      })
    })
  })
}
