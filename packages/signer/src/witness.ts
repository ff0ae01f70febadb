import {
  type EntryCreator,
  hashLeaf,
  type LogEntry,
  type ProposedEntry,
  parseCheckpoint,
  parseEntryBody,
  toBundleTransparencyLogEntry,
  verifyEntryBodyMatches,
  verifyInclusionProof,
} from '@certus-trust/rekor'
import type { SignatureBundle, Witness as SigstoreWitness } from '@sigstore/sign'
import { TSAWitness } from '@sigstore/sign'
import { abortError } from './artifact.js'
import { SignerError } from './errors.js'

/**
 * A witness records or timestamps a signature:
 * - an `EntryCreator` from `@certus-trust/rekor` — a `RekorClient` (remote Rekor) or the embedded
 *   `TransparencyLog` of `@certus-trust/tlog`; it yields a transparency-log entry;
 * - a `@sigstore/sign` `Witness` (`testify()`), e.g. from {@link createTimestampAuthorityWitness}; it yields RFC 3161
 *   timestamps or log entries in bundle form.
 */
export type Witness = EntryCreator | SigstoreWitness

/** `'none'` asks, by name, for a bundle without any transparency entry or timestamp. */
export type WitnessOption = Witness | 'none' | readonly Witness[]

/** Options of {@link createTimestampAuthorityWitness}. */
export interface TimestampAuthorityOptions {
  /** Base URL of an RFC 3161 TSA speaking Sigstore's `/api/v1/timestamp` API. */
  url: string
  /** Request timeout in milliseconds. @default 10000 */
  timeout?: number
  /** Retries on 408/429/5xx and network errors. @default 2 */
  retries?: number
}

/**
 * An RFC 3161 timestamp witness (via `@sigstore/sign`'s `TSAWitness`): adds a signed timestamp over the signature.
 * @throws SignerError `SIGNER_INVALID_INPUT` for a malformed URL
 */
export function createTimestampAuthorityWitness(options: TimestampAuthorityOptions): SigstoreWitness {
  checkUrl(options?.url, 'timestamp authority url')
  return new TSAWitness({
    tsaBaseURL: options.url.replace(/\/+$/, ''),
    timeout: options.timeout ?? 10_000,
    retry: options.retries ?? 2,
  })
}

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
    if (!isEntryCreator(witness) && !isSigstoreWitness(witness)) {
      throw new SignerError({
        code: 'SIGNER_INVALID_INPUT',
        message:
          "each witness must have createEntry() (a log) or testify() (a @sigstore/sign witness); use 'none' for no witness",
      })
    }
  }
  return [...list, ...extra]
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
  /** What the logged body must record (checked before we accept an entry). */
  expected: { digest?: string; signature: Uint8Array; publicKeyOrCertPem: string; envelope?: string }
  /** The bundle content in @sigstore/sign's protobuf form (for testify()). */
  content: () => SignatureBundle
  /** Public key or certificate PEM (for testify()). */
  publicKeyOrCertPem: string
  /** The artifact, for in-process logs that check pure Ed25519. */
  artifact?: Uint8Array
  signal?: AbortSignal
}

/** Transparency-log entries and timestamps in bundle JSON form, plus the raw log entries. */
export interface WitnessResult {
  tlogEntries: ReturnType<typeof toBundleTransparencyLogEntry>[]
  rfc3161Timestamps: Array<{ signedTimestamp: string }>
  logEntries: LogEntry[]
}

/** @internal Runs every witness in parallel; any failure fails the whole signing (no partial bundles). */
export async function runWitnesses(witnesses: Witness[], input: WitnessInput): Promise<WitnessResult> {
  const result: WitnessResult = { tlogEntries: [], rfc3161Timestamps: [], logEntries: [] }
  const outcomes = await Promise.allSettled(
    witnesses.map(async (witness) => {
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
        material?: Awaited<ReturnType<SigstoreWitness['testify']>>
      }>
    ).value
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
    return await witness.testify(input.content(), input.publicKeyOrCertPem)
  } catch (error) {
    throw wrapRemoteError(error, 'timestamp authority')
  }
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
    const checkpoint = parseCheckpoint(proof.checkpoint)
    verifyInclusionProof({
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
