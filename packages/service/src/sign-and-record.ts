import { KeyedMutex } from '@certus-trust/core'
import type { LogEntry } from '@certus-trust/log-protocol'
import type { Signer, SignResult } from '@certus-trust/signer'
import type { SignedArtifact, Storage } from '@certus-trust/storage'
import { ServiceError } from './errors.js'
import { signedArtifactRecord, signResponseFromRecord } from './record-model.js'
import type { SignRequest, SignResponse } from './types.js'

/**
 * Idempotent sign-and-record: sign (or attest), let the signer's witness record the entry, then store one
 * SignedArtifact record. Records are written once, after the log acknowledged the entry, so a failure never
 * leaves a record that claims an entry the log does not have. A retry with the same idempotency key returns
 * the stored result; retries racing each other in this process are serialised per key.
 */
export function createSignAndRecord(
  storage: Storage,
  signer: Signer,
): (request: SignRequest) => Promise<SignResponse> {
  const perKey = new KeyedMutex()
  return async function signAndRecord(request) {
    const key = request.idempotency_key
    if (!key) return signOnce(storage, signer, request)
    return perKey.run(key, async () => {
      const existing = await findByIdempotencyKey(storage, request.artifact, key)
      if (!existing) return signOnce(storage, signer, request)
      if (existing.artifactType !== request.artifact_type || existing.subject !== request.subject) {
        throw new ServiceError({
          code: 'SERVICE_IDEMPOTENCY_CONFLICT',
          message: 'this idempotency_key was already used for a different request',
        })
      }
      return signResponseFromRecord(existing)
    })
  }
}

/** The record of `artifact` stored under `key`, scanning its (few) records page by page. */
async function findByIdempotencyKey(
  storage: Storage,
  artifact: string,
  key: string,
): Promise<SignedArtifact | undefined> {
  let cursor: string | undefined
  // Records of one artifact are few; scan them for the key (storage enforces uniqueness on save).
  for (let page = 0; page < 20; page += 1) {
    const result = await storage.listSignedArtifactsByHash(artifact, {
      limit: 100,
      ...(cursor ? { cursor } : {}),
    })
    const found = result.items.find((item) => item.idempotencyKey === key)
    if (found) return found
    if (!result.nextCursor) return undefined
    cursor = result.nextCursor
  }
  return undefined
}

async function signOnce(storage: Storage, signer: Signer, request: SignRequest): Promise<SignResponse> {
  const hex = request.artifact.slice('sha256:'.length)
  const predicate = request.predicates?.[0]
  // No client abort signal here: once the log has the entry the record must be written, whoever hung up.
  const result = predicate
    ? await signer.attest({
        subjects: [{ name: request.subject, digest: { sha256: hex } }],
        predicateType: predicate.type,
        predicate: predicate.predicate,
      })
    : await signer.sign({ digest: request.artifact })
  const record = await saveRecord(storage, request, result, result.logEntries[0])
  return signResponseFromRecord(record)
}

async function saveRecord(
  storage: Storage,
  request: SignRequest,
  result: SignResult,
  entry: LogEntry | undefined,
): Promise<SignedArtifact> {
  try {
    return await storage.saveSignedArtifact(signedArtifactRecord(request, result, entry))
  } catch (error) {
    if ((error as { code?: string })?.code !== 'STORAGE_CONFLICT') throw error
    // The same entry was recorded before (deterministic signature of the same digest): that record stands.
    const existing = entry
      ? await storage.getSignedArtifactByEntryUuid(entry.uuid.toLowerCase()).catch(() => undefined)
      : undefined
    if (existing && existing.artifactHash === request.artifact) return existing
    if (request.idempotency_key) {
      throw new ServiceError({
        code: 'SERVICE_IDEMPOTENCY_CONFLICT',
        message: 'this idempotency_key was already used for a different artifact',
        cause: error,
      })
    }
    throw error
  }
}
