import * as z from 'zod'

// Upstream (Rekor) response schemas: minimal and non-strict, so Rekor adding a field breaks nothing.

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
const Hex64 = z.lazy(() => z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex characters'))
const EntryKey = z.lazy(() =>
  z.string().regex(/^(?:[0-9a-f]{16})?[0-9a-f]{64}$/, 'expected a 64- or 80-hex entry ID'),
)
const NonNegativeInt = z.lazy(() => z.number().int().nonnegative())
const Base64 = () => z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64')

export const InclusionProofSchema = z.lazy(() =>
  z.object({
    logIndex: NonNegativeInt,
    rootHash: Hex64,
    treeSize: NonNegativeInt,
    hashes: z.array(Hex64),
    checkpoint: z.string().min(1),
  }),
)

export const LogEntryValueSchema = z.lazy(() =>
  z.object({
    logID: Hex64,
    logIndex: NonNegativeInt,
    body: Base64().min(1),
    integratedTime: NonNegativeInt,
    verification: z
      .object({
        signedEntryTimestamp: Base64().min(1).optional(),
        inclusionProof: InclusionProofSchema.optional(),
      })
      .optional(),
  }),
)

/** `{ "<entryID>": LogEntry }` as returned by create, get-by-UUID and get-by-index. */
export const LogEntryMapSchema = z.lazy(() => z.record(EntryKey, LogEntryValueSchema))

export const RetrieveResponseSchema = z.lazy(() => z.array(LogEntryMapSchema))

export const SearchIndexResponseSchema = z.lazy(() => z.array(EntryKey))

const shardInfoSchema = () =>
  z.object({
    rootHash: Hex64,
    treeSize: NonNegativeInt,
    signedTreeHead: z.string().min(1),
    treeID: z.string().regex(/^[0-9]+$/, 'expected a decimal tree ID'),
  })

export const LogInfoSchema = z.lazy(() =>
  shardInfoSchema().extend({ inactiveShards: z.array(shardInfoSchema()).optional() }),
)

export const ConsistencyProofSchema = z.lazy(() => z.object({ rootHash: Hex64, hashes: z.array(Hex64) }))

export const ErrorBodySchema = z.lazy(() =>
  z.object({ code: z.number().optional(), message: z.string().optional() }),
)

/** Log info (`GET /api/v1/log`). */
export type LogInfo = z.infer<typeof LogInfoSchema>
/** One shard's info inside {@link LogInfo}. */
export type ShardInfo = z.infer<ReturnType<typeof shardInfoSchema>>
/** A consistency proof response: `rootHash` is the log's *current* root, `hashes` the proof. */
export type ConsistencyProofResponse = z.infer<typeof ConsistencyProofSchema>
