import { randomUUID } from 'node:crypto'
import { copyJson } from '@certus-trust/core'
import * as z from 'zod'
import { StorageError } from './errors.js'
import { isIndex, isPlainObject, isStorableText, isTextOf, isValidDate } from './log-validation.js'
import type {
  JsonValue,
  NewSignedArtifact,
  NewVerificationRecord,
  PageOptions,
  SignedArtifact,
  SignedArtifactQuery,
  VerificationRecord,
  VerificationRecordQuery,
} from './records.js'

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
// Each pattern serves its schema and the plain check of the usual record (usualNewSignedArtifact) alike.
const ARTIFACT_HASH = /^sha256:[0-9a-fA-F]{64}$/
const ARTIFACT_TYPE = /^[a-z0-9][a-z0-9._+/-]{0,127}$/
const ENTRY_UUID = /^(?:[0-9a-fA-F]{16})?[0-9a-fA-F]{64}$/
const LOG_ID = /^[0-9a-fA-F]{64}$/
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/
const lower = (value: string) => value.toLowerCase()

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
const UuidSchema = z.lazy(() =>
  z.string().transform(lower).pipe(z.string().regex(UUID_PATTERN, 'expected a UUID')),
)
const ArtifactHashSchema = z.lazy(() =>
  z.string().regex(ARTIFACT_HASH, 'expected sha256:<64 hex digits>').transform(lower),
)
const ArtifactTypeSchema = z.lazy(() =>
  z
    .string()
    .regex(ARTIFACT_TYPE, 'expected a lower-case type name such as sbom, provenance, container, file'),
)
const EntryUuidSchema = z.lazy(() =>
  z.string().regex(ENTRY_UUID, 'expected a 64-hex UUID or an 80-hex entry ID').transform(lower),
)
const LogIdSchema = z.lazy(() => z.string().regex(LOG_ID, 'expected 64 hex digits').transform(lower))
const IndexSchema = z.lazy(() => z.number().int().min(0).max(Number.MAX_SAFE_INTEGER))
const DateSchema = z.lazy(() => z.date().refine((value) => !Number.isNaN(value.getTime()), 'invalid date'))
const TextSchema = (max: number) =>
  z.string().min(1).max(max).refine(isStorableText, 'contains U+0000 or an unpaired surrogate')
const PemSchema = z.lazy(() => TextSchema(65_536))

/** A JSON copy (as a JSON round trip makes it), so every backend stores and returns exactly what JSON can carry. */
function jsonValue(value: unknown): JsonValue | undefined {
  if (value === undefined) return undefined
  try {
    return copyJson(value) as JsonValue | undefined
  } catch {
    return undefined
  }
}

// The JSON round trip both validates and copies; done once, in the schema, so the record keeps its result.
const BundleSchema = z.lazy(() =>
  z.unknown().transform((value, context) => {
    const json = jsonValue(value)
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) return json
    context.addIssue({ code: 'custom', message: 'expected a JSON object' })
    return z.NEVER
  }),
)
const PredicatesSchema = z.lazy(() =>
  z.unknown().transform((value, context) => {
    const json = jsonValue(value)
    if (json !== undefined) return json
    context.addIssue({ code: 'custom', message: 'expected a JSON value' })
    return z.NEVER
  }),
)

/** @internal Exported for the property test of {@link usualNewSignedArtifact}. */
export const NewSignedArtifactSchema = z.lazy(() =>
  z.object({
    id: UuidSchema.optional(),
    artifactHash: ArtifactHashSchema,
    artifactType: ArtifactTypeSchema,
    subject: TextSchema(2048),
    signature: TextSchema(65_536),
    certificate: PemSchema.optional(),
    publicKey: PemSchema.optional(),
    bundle: BundleSchema,
    transparencyEntryUuid: EntryUuidSchema.optional(),
    logIndex: IndexSchema.optional(),
    integratedTime: IndexSchema.optional(),
    logId: LogIdSchema.optional(),
    predicates: PredicatesSchema.optional(),
    createdAt: DateSchema.optional(),
    idempotencyKey: z.string().regex(IDEMPOTENCY_KEY, 'expected 1-255 printable ASCII characters').optional(),
  }),
)

const NewVerificationRecordSchema = z.lazy(() =>
  z
    .object({
      id: UuidSchema.optional(),
      artifactHash: ArtifactHashSchema,
      signature: TextSchema(65_536).optional(),
      valid: z.boolean(),
      signer: TextSchema(2048).optional(),
      issuer: TextSchema(2048).optional(),
      verifiedAt: DateSchema.optional(),
      transparencyIndex: IndexSchema.optional(),
      failureCode: TextSchema(128).optional(),
      failureMessage: TextSchema(4096).optional(),
    })
    .superRefine((value, context) => {
      if (!value.valid && value.failureCode === undefined) {
        context.addIssue({ code: 'custom', path: ['failureCode'], message: 'required when valid is false' })
      }
      if (value.valid && (value.failureCode !== undefined || value.failureMessage !== undefined)) {
        context.addIssue({
          code: 'custom',
          path: ['failureCode'],
          message: 'only allowed when valid is false',
        })
      }
    }),
)

function invalidRecord(what: string, error: z.ZodError): StorageError {
  return new StorageError({
    code: 'STORAGE_INVALID_RECORD',
    message: `invalid ${what}`,
    details: {
      issues: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    },
  })
}

function invalidQuery(parameter: string, message: string): StorageError {
  return new StorageError({ code: 'STORAGE_INVALID_QUERY', message, details: { parameter } })
}

function wholeMilliseconds(date: Date): Date {
  return new Date(Math.trunc(date.getTime()))
}

/**
 * Builds a record object with a fixed key order and absent (not `undefined`) optional fields, so every
 * backend returns byte-identical JSON. Backends map their rows through it.
 */
export function buildSignedArtifact(fields: SignedArtifact): SignedArtifact {
  const record: SignedArtifact = {
    id: fields.id,
    artifactHash: fields.artifactHash,
    artifactType: fields.artifactType,
    subject: fields.subject,
    signature: fields.signature,
    bundle: fields.bundle,
    createdAt: fields.createdAt,
  }
  if (fields.certificate != null) record.certificate = fields.certificate
  if (fields.publicKey != null) record.publicKey = fields.publicKey
  if (fields.transparencyEntryUuid != null) record.transparencyEntryUuid = fields.transparencyEntryUuid
  if (fields.logIndex != null) record.logIndex = fields.logIndex
  if (fields.integratedTime != null) record.integratedTime = fields.integratedTime
  if (fields.logId != null) record.logId = fields.logId
  if (fields.predicates !== undefined) record.predicates = fields.predicates
  if (fields.idempotencyKey != null) record.idempotencyKey = fields.idempotencyKey
  return record
}

/** Like {@link buildSignedArtifact}, for verification records. */
export function buildVerificationRecord(fields: VerificationRecord): VerificationRecord {
  const record: VerificationRecord = {
    id: fields.id,
    artifactHash: fields.artifactHash,
    valid: fields.valid,
    verifiedAt: fields.verifiedAt,
  }
  if (fields.signature != null) record.signature = fields.signature
  if (fields.signer != null) record.signer = fields.signer
  if (fields.issuer != null) record.issuer = fields.issuer
  if (fields.transparencyIndex != null) record.transparencyIndex = fields.transparencyIndex
  if (fields.failureCode != null) record.failureCode = fields.failureCode
  if (fields.failureMessage != null) record.failureMessage = fields.failureMessage
  return record
}

/**
 * Validates `saveSignedArtifact` input and returns the complete record to store (id and createdAt filled in,
 * hashes and ids lower-cased, JSON fields deep-copied).
 * @throws StorageError `STORAGE_INVALID_RECORD`
 */
export function normalizeNewSignedArtifact(input: NewSignedArtifact, now: Date = new Date()): SignedArtifact {
  const usual = usualNewSignedArtifact(input, now)
  if (usual) return usual
  const parsed = NewSignedArtifactSchema.safeParse(input)
  if (!parsed.success) throw invalidRecord('signed artifact', parsed.error)
  const value = parsed.data
  return buildSignedArtifact({
    ...value,
    id: value.id ?? randomUUID(),
    createdAt: wholeMilliseconds(value.createdAt ?? now),
  } as SignedArtifact)
}

const isText = (value: unknown, max: number): value is string => isTextOf(value, 1, max)
const isOptionalText = (value: unknown, max: number) => value === undefined || isText(value, max)
const isOptionalIndex = (value: unknown) => value === undefined || isIndex(value)
const isOptionalMatch = (value: unknown, pattern: RegExp) =>
  value === undefined || (typeof value === 'string' && pattern.test(value))
const lowerIfSet = (value: string | undefined) => value?.toLowerCase()

/**
 * The usual new record (every signing writes one) normalised without the schema, exactly as the schema path
 * normalises it, or `undefined` when the schema must judge it (issue 12: the schema pass was ~2 % of a busy signing
 * process's main thread). Reads each field once; accepts a subset of what the schema accepts (property-tested in
 * record-validation.property.test.ts).
 */
function usualNewSignedArtifact(input: unknown, now: Date): SignedArtifact | undefined {
  if (!isPlainObject(input)) return undefined
  const fields = input
  const { id, artifactHash, artifactType, subject, signature, certificate, publicKey } = fields
  const { bundle, transparencyEntryUuid, logIndex, integratedTime, logId, predicates } = fields
  const { createdAt, idempotencyKey } = fields
  if (id !== undefined && !(typeof id === 'string' && UUID_PATTERN.test(id.toLowerCase()))) return undefined
  if (typeof artifactHash !== 'string' || !ARTIFACT_HASH.test(artifactHash)) return undefined
  if (typeof artifactType !== 'string' || !ARTIFACT_TYPE.test(artifactType)) return undefined
  if (!isText(subject, 2048) || !isText(signature, 65_536)) return undefined
  if (!isOptionalText(certificate, 65_536) || !isOptionalText(publicKey, 65_536)) return undefined
  if (!isOptionalMatch(transparencyEntryUuid, ENTRY_UUID) || !isOptionalMatch(logId, LOG_ID)) return undefined
  if (!isOptionalIndex(logIndex) || !isOptionalIndex(integratedTime)) return undefined
  if (!isOptionalMatch(idempotencyKey, IDEMPOTENCY_KEY)) return undefined
  if (createdAt !== undefined && !isValidDate(createdAt)) return undefined
  const bundleCopy = jsonValue(bundle)
  if (typeof bundleCopy !== 'object' || bundleCopy === null || Array.isArray(bundleCopy)) return undefined
  const predicatesCopy = predicates === undefined ? undefined : jsonValue(predicates)
  if (predicates !== undefined && predicatesCopy === undefined) return undefined
  return buildSignedArtifact({
    id: typeof id === 'string' ? id.toLowerCase() : randomUUID(),
    artifactHash: artifactHash.toLowerCase(),
    artifactType,
    subject,
    signature,
    certificate: certificate as string | undefined,
    publicKey: publicKey as string | undefined,
    bundle: bundleCopy as SignedArtifact['bundle'],
    transparencyEntryUuid: lowerIfSet(transparencyEntryUuid as string | undefined),
    logIndex: logIndex as number | undefined,
    integratedTime: integratedTime as number | undefined,
    logId: lowerIfSet(logId as string | undefined),
    predicates: predicatesCopy as SignedArtifact['predicates'],
    createdAt: wholeMilliseconds((createdAt as Date | undefined) ?? now),
    idempotencyKey: idempotencyKey as string | undefined,
  })
}

/**
 * Validates `saveVerificationRecord` input and returns the complete record to store.
 * @throws StorageError `STORAGE_INVALID_RECORD`
 */
export function normalizeNewVerificationRecord(
  input: NewVerificationRecord,
  now: Date = new Date(),
): VerificationRecord {
  const parsed = NewVerificationRecordSchema.safeParse(input)
  if (!parsed.success) throw invalidRecord('verification record', parsed.error)
  const value = parsed.data
  return buildVerificationRecord({
    ...value,
    id: value.id ?? randomUUID(),
    verifiedAt: wholeMilliseconds(value.verifiedAt ?? now),
  } as VerificationRecord)
}

/** The 64-hex UUID part of a transparency entry uuid or 80-hex entry ID: what uniqueness and lookups use. */
export function entryUuidKey(uuid: string): string {
  return uuid.slice(-64).toLowerCase()
}

/** Normalises a record id argument; `undefined` when it cannot be any record's id (→ not found). */
export function normalizeRecordId(id: unknown): string | undefined {
  const parsed = UuidSchema.safeParse(id)
  return parsed.success ? parsed.data : undefined
}

/** Normalises a transparency entry uuid argument to its 64-hex key; `undefined` when malformed. */
export function normalizeEntryUuidArgument(uuid: unknown): string | undefined {
  const parsed = EntryUuidSchema.safeParse(uuid)
  return parsed.success ? entryUuidKey(parsed.data) : undefined
}

/** Default and maximum page size. */
export const DEFAULT_PAGE_LIMIT = 50
export const MAX_PAGE_LIMIT = 1000

/** A decoded cursor: the sort key of the last item of the previous page. */
export interface PageCursor {
  /** Milliseconds since the epoch of the last item's timestamp. */
  time: number
  /** The last item's id. */
  id: string
}

/** Encodes a cursor (base64url JSON); identical on every backend. */
export function encodePageCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.time, cursor.id]), 'utf8').toString('base64url')
}

/** @throws StorageError `STORAGE_INVALID_QUERY` */
export function decodePageCursor(cursor: string): PageCursor {
  const fail = () => invalidQuery('cursor', 'cursor is malformed')
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw fail()
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw fail()
  }
  if (!Array.isArray(value) || value.length !== 2) throw fail()
  const [time, id] = value as [unknown, unknown]
  if (
    typeof time !== 'number' ||
    !Number.isSafeInteger(time) ||
    typeof id !== 'string' ||
    !UUID_PATTERN.test(id)
  ) {
    throw fail()
  }
  if (Number.isNaN(new Date(time).getTime())) throw fail()
  return { time, id }
}

function resolveLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw invalidQuery('limit', `limit must be an integer in [1, ${MAX_PAGE_LIMIT}]`)
  }
  return limit
}

function resolveDate(parameter: string, value: unknown): Date | undefined {
  if (value === undefined) return undefined
  if (!(value instanceof Date) || Number.isNaN(value.getTime()))
    throw invalidQuery(parameter, `${parameter} must be a valid Date`)
  return wholeMilliseconds(value)
}

function resolveHash(value: unknown): string {
  const parsed = ArtifactHashSchema.safeParse(value)
  if (!parsed.success) throw invalidQuery('artifactHash', 'artifactHash must be sha256:<64 hex digits>')
  return parsed.data
}

/** A validated `listSignedArtifacts` query. */
export interface ResolvedSignedArtifactQuery {
  artifactHash?: string
  artifactType?: string
  subject?: string
  createdFrom?: Date
  createdTo?: Date
  limit: number
  cursor?: PageCursor
}

/** @throws StorageError `STORAGE_INVALID_QUERY` */
export function resolveSignedArtifactQuery(query: SignedArtifactQuery = {}): ResolvedSignedArtifactQuery {
  if (typeof query !== 'object' || query === null) throw invalidQuery('query', 'query must be an object')
  const resolved: ResolvedSignedArtifactQuery = { limit: resolveLimit(query.limit) }
  if (query.artifactHash !== undefined) resolved.artifactHash = resolveHash(query.artifactHash)
  if (query.artifactType !== undefined) {
    if (typeof query.artifactType !== 'string')
      throw invalidQuery('artifactType', 'artifactType must be a string')
    resolved.artifactType = query.artifactType
  }
  if (query.subject !== undefined) {
    if (typeof query.subject !== 'string' || !isStorableText(query.subject)) {
      throw invalidQuery('subject', 'subject must be a string without U+0000 or unpaired surrogates')
    }
    resolved.subject = query.subject
  }
  const from = resolveDate('createdFrom', query.createdFrom)
  const to = resolveDate('createdTo', query.createdTo)
  if (from) resolved.createdFrom = from
  if (to) resolved.createdTo = to
  if (query.cursor !== undefined) resolved.cursor = decodePageCursor(query.cursor)
  return resolved
}

/**
 * The `listSignedArtifacts` query behind `listSignedArtifactsByHash`: only `limit` and `cursor` are taken
 * from `options`, and a missing hash is an error rather than "no filter".
 */
export function byHashQuery(artifactHash: string, options: PageOptions = {}): SignedArtifactQuery {
  const query: SignedArtifactQuery = { artifactHash: typeof artifactHash === 'string' ? artifactHash : '' }
  if (options?.limit !== undefined) query.limit = options.limit
  if (options?.cursor !== undefined) query.cursor = options.cursor
  return query
}

/** A validated `listVerificationRecords` query. */
export interface ResolvedVerificationRecordQuery {
  artifactHash?: string
  valid?: boolean
  verifiedFrom?: Date
  verifiedTo?: Date
  limit: number
  cursor?: PageCursor
}

/** @throws StorageError `STORAGE_INVALID_QUERY` */
export function resolveVerificationRecordQuery(
  query: VerificationRecordQuery = {},
): ResolvedVerificationRecordQuery {
  if (typeof query !== 'object' || query === null) throw invalidQuery('query', 'query must be an object')
  const resolved: ResolvedVerificationRecordQuery = { limit: resolveLimit(query.limit) }
  if (query.artifactHash !== undefined) resolved.artifactHash = resolveHash(query.artifactHash)
  if (query.valid !== undefined) {
    if (typeof query.valid !== 'boolean') throw invalidQuery('valid', 'valid must be a boolean')
    resolved.valid = query.valid
  }
  const from = resolveDate('verifiedFrom', query.verifiedFrom)
  const to = resolveDate('verifiedTo', query.verifiedTo)
  if (from) resolved.verifiedFrom = from
  if (to) resolved.verifiedTo = to
  if (query.cursor !== undefined) resolved.cursor = decodePageCursor(query.cursor)
  return resolved
}

/** @throws StorageError `STORAGE_INVALID_QUERY` */
export function resolveLogIndexArgument(
  logIndex: unknown,
  options: { logId?: string } = {},
): { logIndex: number; logId?: string } {
  if (!IndexSchema.safeParse(logIndex).success)
    throw invalidQuery('logIndex', 'logIndex must be a non-negative safe integer')
  if (options.logId === undefined) return { logIndex: logIndex as number }
  const parsed = LogIdSchema.safeParse(options.logId)
  if (!parsed.success) throw invalidQuery('logId', 'logId must be 64 hex digits')
  return { logIndex: logIndex as number, logId: parsed.data }
}

/**
 * Turns `limit + 1` rows fetched newest-first into a page: the extra row only signals that more exist.
 */
export function toPage<T>(
  rows: T[],
  limit: number,
  sortKey: (item: T) => PageCursor,
): { items: T[]; nextCursor?: string } {
  if (rows.length <= limit) return { items: rows }
  const items = rows.slice(0, limit)
  return { items, nextCursor: encodePageCursor(sortKey(items[items.length - 1]!)) }
}

/** Shared error constructors, so every backend produces the same code, message and details. */
export const recordErrors = {
  artifactNotFound: () =>
    new StorageError({ code: 'STORAGE_NOT_FOUND', message: 'signed artifact not found', details: {} }),
  verificationNotFound: () =>
    new StorageError({ code: 'STORAGE_NOT_FOUND', message: 'verification record not found', details: {} }),
  duplicateArtifactId: () =>
    new StorageError({
      code: 'STORAGE_CONFLICT',
      message: 'a signed artifact with this id already exists',
      details: { field: 'id' },
    }),
  duplicateEntryUuid: () =>
    new StorageError({
      code: 'STORAGE_CONFLICT',
      message: 'a signed artifact for this transparency entry already exists',
      details: { field: 'transparencyEntryUuid' },
    }),
  duplicateLogIndex: () =>
    new StorageError({
      code: 'STORAGE_CONFLICT',
      message: 'a signed artifact for this log index already exists',
      details: { field: 'logIndex' },
    }),
  idempotencyMismatch: () =>
    new StorageError({
      code: 'STORAGE_CONFLICT',
      message: 'the idempotency key was already used for a different artifact',
      details: { field: 'idempotencyKey' },
    }),
  duplicateVerificationId: () =>
    new StorageError({
      code: 'STORAGE_CONFLICT',
      message: 'a verification record with this id already exists',
      details: { field: 'id' },
    }),
}

/**
 * The idempotent replay rule: the stored record wins, unless the key is reused for another artifact.
 * @throws StorageError `STORAGE_CONFLICT`
 */
export function replayIdempotent(existing: SignedArtifact, candidate: SignedArtifact): SignedArtifact {
  if (existing.artifactHash !== candidate.artifactHash) throw recordErrors.idempotencyMismatch()
  return existing
}

/** Newest-first comparison on (time, id), the order of every list query. */
export function compareNewestFirst(a: PageCursor, b: PageCursor): number {
  if (a.time !== b.time) return b.time - a.time
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0
}
