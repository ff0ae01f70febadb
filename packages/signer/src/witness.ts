import {
  createInclusionProofChecker,
  type EntryCreator,
  hashLeaf,
  type LogEntry,
  parseCheckpoint,
} from '@certus-trust/log-protocol'
import {
  fromBundleTransparencyLogEntry,
  type OwnSignatures,
  type ProposedEntry,
  parseEntryBody,
  type RekorV2EntryRequest,
  type TransparencyLogEntryJson,
  toBundleTransparencyLogEntry,
  verifyEntryBodyMatches,
  verifyV2BodyMatchesRequest,
} from '@certus-trust/log-protocol/entries'
import type { V2EntryCreator } from '@certus-trust/rekor'
import type { Bundle, RFC3161SignedTimestamp, TransparencyLogEntry } from '@sigstore/bundle'
import { abortError } from './artifact.js'
import { SignerError } from './errors.js'

/** The bundle content a `testify()` witness is shown: a message signature or a DSSE envelope. */
export type SignatureBundle = Bundle['content']

/**
 * A witness in `@sigstore/sign`'s shape: any `@sigstore/sign` `Witness` (a `TSAWitness`, a `RekorWitness`) fits it,
 * and so does {@link createTimestampAuthorityWitness}. Declared here so our published types do not depend on
 * `@sigstore/sign`'s internals.
 */
export interface SigstoreWitness {
  testify(
    signature: SignatureBundle,
    publicKey: string,
  ): Promise<{ tlogEntries?: TransparencyLogEntry[]; rfc3161Timestamps?: RFC3161SignedTimestamp[] }>
}

/**
 * A witness records or timestamps a signature:
 * - an `EntryCreator` from `@certus-trust/rekor` — a `RekorClient` (remote Rekor v1) or the embedded
 *   `TransparencyLog` of `@certus-trust/tlog`; it yields a transparency-log entry;
 * - a `V2EntryCreator` (`createV2Entry()`) — a `RekorV2Client`: a Rekor v2 entry (no SET, so a timestamp authority
 *   must witness too);
 * - a `@sigstore/sign` `Witness` (`testify()`), e.g. from {@link createTimestampAuthorityWitness}; it yields RFC 3161
 *   timestamps.
 */
export type Witness = EntryCreator | V2EntryCreator | SigstoreWitness

/** `'none'` asks, by name, for a bundle without any transparency entry or timestamp. */
export type WitnessOption = Witness | 'none' | readonly Witness[]

/** @internal */
export function checkUrl(url: unknown, what: string): void {
  let parsed: URL | undefined
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined
  } catch {
    parsed = undefined
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new SignerError({ code: 'SIGNER_INVALID_INPUT', message: `${what} must be an http(s) URL` })
  }
}

/** @internal Normalises the `witness` option; `undefined` is an error so nobody gets an unlogged bundle by accident. */
export function normalizeWitnesses(option: WitnessOption | undefined, extra: SigstoreWitness[]): Witness[] {
  if (option === undefined) {
    throw new SignerError({
      code: 'SIGNER_WITNESS_REQUIRED',
      message:
        "no witness given: pass a transparency log (the embedded log or a RekorClient), a timestamp authority, or 'none' explicitly",
    })
  }
  const list = option === 'none' ? [] : Array.isArray(option) ? [...option] : [option as Witness]
  if (option !== 'none' && list.length === 0) {
    throw new SignerError({
      code: 'SIGNER_WITNESS_REQUIRED',
      message:
        "the witness list is empty: pass at least one log or timestamp authority, or 'none' explicitly",
    })
  }
  for (const witness of list) {
    if (!isEntryCreator(witness) && !isV2EntryCreator(witness) && !isSigstoreWitness(witness)) {
      throw new SignerError({
        code: 'SIGNER_INVALID_INPUT',
        message:
          "each witness must have createEntry() (a Rekor v1 log), createV2Entry() (a Rekor v2 log) or testify() (a timestamp authority); use 'none' for no witness",
      })
    }
  }
  const all = [...list, ...extra]
  if (all.some(isV2EntryCreator) && !all.some(isSigstoreWitness)) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message:
        'Rekor v2 entries carry no signed time: add a timestamp authority (timestampAuthority, or a TSA in the signing config)',
    })
  }
  return all
}

/** @internal */
export function isV2EntryCreator(value: unknown): value is V2EntryCreator {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as V2EntryCreator).createV2Entry === 'function'
  )
}

function isEntryCreator(value: unknown): value is EntryCreator {
  return (
    typeof value === 'object' && value !== null && typeof (value as EntryCreator).createEntry === 'function'
  )
}

function isSigstoreWitness(value: unknown): value is SigstoreWitness {
  return (
    typeof value === 'object' && value !== null && typeof (value as SigstoreWitness).testify === 'function'
  )
}

/** What was signed, in the shapes the witnesses need. */
export interface WitnessInput {
  /** The proposed entry for Rekor v1 logs. */
  proposedEntry: () => ProposedEntry
  /** The create-entry request for Rekor v2 logs. */
  v2Request: () => RekorV2EntryRequest
  /** What the logged body must record (checked before we accept an entry). */
  expected: { digest?: string; signature: Uint8Array; publicKeyOrCertPem: string; envelope?: string }
  /** The bundle content in @sigstore/sign's protobuf form (for testify()). */
  content: () => Promise<SignatureBundle>
  /** Public key or certificate PEM (for testify()). */
  publicKeyOrCertPem: string
  /** The artifact, for in-process logs that check pure Ed25519. */
  artifact?: Uint8Array
  /** The ledger holding this signature, for an embedded log opened with the same one (its internal path). */
  ownSignatures?: OwnSignatures
  signal?: AbortSignal
}

/** Transparency-log entries and timestamps in bundle JSON form, plus the log entries in Rekor v1 form. */
export interface WitnessResult {
  tlogEntries: TransparencyLogEntryJson[]
  rfc3161Timestamps: Array<{ signedTimestamp: string }>
  logEntries: LogEntry[]
}

/** @internal Runs every witness in parallel; any failure fails the whole signing (no partial bundles). */
export async function runWitnesses(witnesses: Witness[], input: WitnessInput): Promise<WitnessResult> {
  const result: WitnessResult = { tlogEntries: [], rfc3161Timestamps: [], logEntries: [] }
  const outcomes = await Promise.allSettled(
    witnesses.map(async (witness) => {
      if (isV2EntryCreator(witness)) return { v2Entry: await createV2LogEntry(witness, input) }
      if (isEntryCreator(witness)) {
        const entry = await createLogEntry(witness, input)
        return { entry }
      }
      return { material: await withAbort(testify(witness, input), input.signal) }
    }),
  )
  const failure = outcomes.find((outcome) => outcome.status === 'rejected')
  if (failure) throw (failure as PromiseRejectedResult).reason
  for (const outcome of outcomes) {
    const value = (
      outcome as PromiseFulfilledResult<{
        entry?: LogEntry
        v2Entry?: TransparencyLogEntryJson
        material?: Awaited<ReturnType<SigstoreWitness['testify']>>
      }>
    ).value
    if (value.v2Entry) {
      result.tlogEntries.push(value.v2Entry)
      // Same record shape as v1 entries (uuid = leaf hash, integratedTime 0: Rekor v2 keeps no time).
      result.logEntries.push(fromBundleTransparencyLogEntry(value.v2Entry))
    }
    if (value.entry) {
      result.logEntries.push(value.entry)
      result.tlogEntries.push(toBundleTransparencyLogEntry(value.entry))
    }
    if (value.material) {
      for (const timestamp of value.material.rfc3161Timestamps ?? []) {
        result.rfc3161Timestamps.push({
          signedTimestamp: Buffer.from(timestamp.signedTimestamp).toString('base64'),
        })
      }
      if ((value.material.tlogEntries ?? []).length > 0) {
        // Upstream log witnesses are not supported here: we could not check their entries against what we signed.
        throw new SignerError({
          code: 'SIGNER_INVALID_INPUT',
          message:
            'pass transparency logs as an EntryCreator (RekorClient or the embedded log), not as a @sigstore/sign witness',
        })
      }
    }
  }
  return result
}

async function testify(witness: SigstoreWitness, input: WitnessInput) {
  try {
    return await witness.testify(await input.content(), input.publicKeyOrCertPem)
  } catch (error) {
    throw wrapRemoteError(error, 'timestamp authority')
  }
}

// The entries a log commits together carry proofs to one checkpoint that share all but their lowest levels: the
// check of each remembers the last proof it accepted and stops hashing where a path joins it (same position, same
// hashes from there up). Every proof is still checked to a node already proven under the checkpoint's root.
const checkInclusion = createInclusionProofChecker()

// Those entries also carry the same checkpoint note: its size and root are read once per note, not per entry.
let lastCheckpoint: { note: string; treeSize: bigint; rootHash: Uint8Array } | undefined
function checkpointOf(note: string): { treeSize: bigint; rootHash: Uint8Array } {
  if (lastCheckpoint?.note !== note) {
    const { treeSize, rootHash } = parseCheckpoint(note)
    lastCheckpoint = { note, treeSize, rootHash }
  }
  return lastCheckpoint
}

async function createLogEntry(log: EntryCreator, input: WitnessInput): Promise<LogEntry> {
  let proposed: ProposedEntry
  try {
    proposed = input.proposedEntry()
  } catch (error) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'could not build the transparency-log entry',
      cause: error,
    })
  }
  if (input.signal?.aborted) throw abortError(input.signal)
  let entry: LogEntry
  try {
    entry = await withAbort(
      log.createEntry(proposed, {
        ...(input.signal ? { signal: input.signal } : {}),
        ...(input.artifact ? { artifact: input.artifact } : {}),
        ...(input.ownSignatures ? { ownSignatures: input.ownSignatures } : {}),
      }),
      input.signal,
    )
  } catch (error) {
    const existing = await existingEntry(log, error, input.signal)
    if (!existing) throw wrapRemoteError(error, 'transparency log')
    entry = existing
  }
  checkLogEntry(entry, input)
  return entry
}

async function createV2LogEntry(log: V2EntryCreator, input: WitnessInput): Promise<TransparencyLogEntryJson> {
  let request: RekorV2EntryRequest
  try {
    request = input.v2Request()
  } catch (error) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'could not build the Rekor v2 request',
      cause: error,
    })
  }
  if (input.signal?.aborted) throw abortError(input.signal)
  let entry: TransparencyLogEntryJson
  try {
    entry = await withAbort(
      log.createV2Entry(request, input.signal ? { signal: input.signal } : {}),
      input.signal,
    )
  } catch (error) {
    throw wrapRemoteError(error, 'transparency log')
  }
  checkV2LogEntry(entry, request)
  return entry
}

/** The v2 counterpart of checkLogEntry: the body records our request and the proof leads to the checkpoint root. */
function checkV2LogEntry(entry: TransparencyLogEntryJson, request: RekorV2EntryRequest): void {
  const invalid = (message: string, cause?: unknown) =>
    new SignerError({
      code: 'SIGNER_WITNESS_RESPONSE_INVALID',
      message: `the Rekor v2 log returned an unusable entry: ${message}`,
      cause,
    })
  const body = Buffer.from(entry?.canonicalizedBody ?? '', 'base64')
  try {
    verifyV2BodyMatchesRequest(body, request)
  } catch (error) {
    throw invalid('its body does not record this signature', error)
  }
  const proof = entry.inclusionProof
  if (!proof?.checkpoint?.envelope) throw invalid('no inclusion proof with checkpoint')
  try {
    const checkpoint = checkpointOf(proof.checkpoint.envelope)
    checkInclusion({
      leafIndex: BigInt(proof.logIndex),
      treeSize: checkpoint.treeSize,
      leafHash: hashLeaf(body),
      proof: proof.hashes.map((hash) => Buffer.from(hash, 'base64')),
      rootHash: checkpoint.rootHash,
    })
  } catch (error) {
    throw invalid('its inclusion proof does not lead to the checkpoint root', error)
  }
}

/**
 * Deterministic signatures (Ed25519, RSA PKCS#1 v1.5) of an artifact already in the log produce the same entry, and
 * logs answer with a conflict naming it. When the log can look entries up, the existing entry is used — after the
 * same checks as a new one, so it must record exactly our signature.
 */
async function existingEntry(
  log: EntryCreator,
  error: unknown,
  signal: AbortSignal | undefined,
): Promise<LogEntry | undefined> {
  const code = String((error as { code?: unknown })?.code ?? '')
  const details = ((error as { details?: Record<string, unknown> })?.details ?? {}) as Record<string, unknown>
  const id = [details.uuid, details.entryId, details.entryID].find(
    (value): value is string => typeof value === 'string' && /^[0-9a-f]{64,80}$/.test(value),
  )
  const lookup = (
    log as {
      getEntryByUuid?: (id: string, options?: { signal?: AbortSignal }) => Promise<LogEntry | undefined>
    }
  ).getEntryByUuid
  if (!code.endsWith('CONFLICT') || !id || typeof lookup !== 'function') return undefined
  try {
    return (await withAbort(lookup.call(log, id, signal ? { signal } : {}), signal)) ?? undefined
  } catch {
    return undefined
  }
}

/**
 * Refuses entries that do not record what we signed or cannot go into a v0.3 bundle: the body must match the
 * digest, signature and key, a SET and an inclusion proof with checkpoint must be present, and the proof must lead
 * to the checkpoint's root. (The log's signatures are checked by verifiers, who hold the log key.)
 */
function checkLogEntry(entry: LogEntry, input: WitnessInput): void {
  const invalid = (message: string, cause?: unknown) =>
    new SignerError({
      code: 'SIGNER_WITNESS_RESPONSE_INVALID',
      message: `the transparency log returned an unusable entry: ${message}`,
      cause,
    })
  if (typeof entry !== 'object' || entry === null || typeof entry.body !== 'string')
    throw invalid('no entry body')
  try {
    verifyEntryBodyMatches(parseEntryBody(entry.body), input.expected)
  } catch (error) {
    throw invalid('its body does not record this signature', error)
  }
  const proof = entry.verification?.inclusionProof
  if (!entry.verification?.signedEntryTimestamp) throw invalid('no signed entry timestamp')
  if (!proof?.checkpoint) throw invalid('no inclusion proof with checkpoint')
  try {
    const checkpoint = checkpointOf(proof.checkpoint)
    checkInclusion({
      leafIndex: proof.logIndex,
      treeSize: checkpoint.treeSize,
      leafHash: hashLeaf(Buffer.from(entry.body, 'base64')),
      proof: proof.hashes.map((hash) => Buffer.from(hash, 'hex')),
      rootHash: checkpoint.rootHash,
    })
  } catch (error) {
    throw invalid('its inclusion proof does not lead to the checkpoint root', error)
  }
}

/** Maps RekorError/@sigstore HTTP errors to our codes: transport problems are "unreachable", answers are "failed". */
function wrapRemoteError(error: unknown, what: string): SignerError {
  if (SignerError.is(error)) return error
  const code =
    typeof error === 'object' && error !== null ? String((error as { code?: unknown }).code ?? '') : ''
  const cause = (error as { cause?: unknown })?.cause
  const status =
    (error as { details?: { status?: number } })?.details?.status ??
    (error as { statusCode?: number })?.statusCode ??
    (cause as { statusCode?: number } | undefined)?.statusCode
  const unreachable =
    /TIMEOUT|NETWORK|UNAVAILABLE|STORAGE_FAILED|_CLOSED|SERVER_ERROR|RATE_LIMITED|ECONNREFUSED|ENOTFOUND|ETIMEDOUT/.test(
      code,
    ) ||
    (status === undefined && /_ERROR$/.test(code)) ||
    (typeof status === 'number' && (status >= 500 || status === 408 || status === 429))
  if (code === 'ABORT_ERR' || code.endsWith('_ABORTED') || (error as Error)?.name === 'AbortError') {
    return new SignerError({ code: 'SIGNER_ABORTED', message: 'signing was aborted', cause: error })
  }
  return new SignerError({
    code: unreachable ? 'SIGNER_WITNESS_UNREACHABLE' : 'SIGNER_WITNESS_FAILED',
    message: unreachable
      ? `the ${what} could not be reached${status ? ` (HTTP ${status})` : ''}: check its URL and retry later; no bundle was produced`
      : `the ${what} rejected the request${status ? ` (HTTP ${status})` : ''}${code ? ` [${code}]` : ''}; no bundle was produced`,
    details: { ...(status !== undefined ? { status } : {}), ...(code ? { causeCode: code } : {}) },
    cause: error,
  })
}

/** @internal Rejects with SIGNER_ABORTED as soon as `signal` fires, for clients that cannot be cancelled. */
export function withAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
