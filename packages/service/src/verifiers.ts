import { readFile } from 'node:fs/promises'
import type { RekorClient } from '@certus-trust/rekor'
import type { TimestampAuthority, TransparencyLog } from '@certus-trust/tlog'
import { createVerifier, type EntryLookup, type Verifier } from '@certus-trust/verifier'
import { createVerifierThreads, type VerifierThreads } from '@certus-trust/verifier/threads'
import type { TufConfig } from './config.js'
import { ServiceError } from './errors.js'
import { findRekorEntry } from './log-backend.js'
import { exportEmbeddedTrustedRoot } from './trust-material.js'
import { loadPublicGoodTrustedRoot } from './trust-root.js'

/** Verifiers by trust scope: entries of our own log are checked online against it; others offline. */
export interface VerifierSet {
  /** Verifies bundles whose entries come from this service's log (checked online against it). */
  local: Verifier
  /** Verifies every other bundle (public-good or configured trusted root), offline. */
  external: Verifier
  /** Hex log IDs of the log(s) `local` covers. */
  localLogIds: ReadonlySet<string>
  /** Whether bundles without any log entry go to `local` (transparency off: this service's own bundles). */
  entrylessIsLocal?: boolean
  /** Stops the verification threads, if any ({@link VerifierSetOptions.verifyThreads}). */
  close?: () => Promise<void>
}

/** Options of {@link createVerifierSet}. */
export interface VerifierSetOptions {
  /**
   * Worker threads per verifier that verify bundles off the main thread (started on demand, ADR 0016); online
   * entry lookups are still answered here, where the log is. 0 = verify on the calling thread. @default 0
   */
  verifyThreads?: number | undefined
  /** Verifications one event-loop turn must queue before the threads start. @default 4 */
  verifyThreadsMinBatch?: number | undefined
}

/**
 * Verifications one event-loop turn must queue before the verification threads start: one request in flight is
 * verified inline (no round trip), a loaded server (several requests a turn) moves them to the threads.
 */
const VERIFY_THREADS_MIN_BATCH = 4

/** Builds verifiers, on threads when asked for; remembers the pools so the set can close them. */
function verifierFactory(verifyThreads: number, minBatch: number) {
  const pools: VerifierThreads[] = []
  const make = (options: {
    trustedRoot: TrustedRootJson
    online?: EntryLookup
    tlogThreshold?: number
    timestampThreshold?: number
  }): Verifier => {
    if (verifyThreads < 1) return createVerifier(options)
    const pool = createVerifierThreads({ ...options, size: verifyThreads, minBatch })
    pools.push(pool)
    return pool
  }
  const close = async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()))
  }
  return { make, close }
}

type TrustedRootJson = Record<string, unknown>

/** Where the public-good root comes from when no trusted root file is configured. */
export interface PublicGoodRootOptions {
  /** TUF refresh settings. Undefined = the embedded snapshot. */
  tuf?: TufConfig | undefined
  /** Age warning threshold of the embedded snapshot in days. @default 90 */
  maxAgeDays?: number | undefined
  /** Receives the warnings (refresh failed, snapshot old). @default ignored */
  warn?: ((message: string) => void) | undefined
}

/**
 * Reads the trusted root for bundles of other logs and CAs: the configured file, else the public-good root
 * (refreshed through TUF when `publicGood.tuf` is set, else the embedded snapshot; see `loadPublicGoodTrustedRoot`).
 * @throws ServiceError `SERVICE_CONFIG_INVALID` when the file cannot be read.
 */
export async function loadBaseTrustedRoot(
  path: string | undefined,
  publicGood: PublicGoodRootOptions = {},
): Promise<TrustedRootJson> {
  if (!path) {
    const { tuf, maxAgeDays, warn } = publicGood
    const loaded = await loadPublicGoodTrustedRoot({
      mirror: tuf?.mirror,
      tufRoot: tuf?.rootPath,
      cacheDir: tuf?.cacheDir,
      maxAgeDays,
      warn,
    })
    return loaded.trustedRoot
  }
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new ServiceError({
      code: 'SERVICE_CONFIG_INVALID',
      message: `cannot read the trusted root at ${path}`,
      cause: error,
      details: { path },
    })
  })
  return JSON.parse(text) as TrustedRootJson
}

/**
 * The verifier set for the chosen log backend: with the embedded log, its exported trusted root (plus the
 * embedded Rekor v2 log and timestamp authority) and online entry checks against them; with a remote Rekor, the base root and online checks against that Rekor; with
 * transparency off, a local verifier that accepts entry-less bundles.
 */
export async function createVerifierSet(
  baseRoot: TrustedRootJson,
  backend: {
    log?: TransparencyLog | undefined
    rekorV2?: TransparencyLog | undefined
    tsa?: TimestampAuthority | undefined
    rekor?: RekorClient | undefined
  },
  options: VerifierSetOptions = {},
): Promise<VerifierSet> {
  const { make, close } = verifierFactory(
    options.verifyThreads ?? 0,
    options.verifyThreadsMinBatch ?? VERIFY_THREADS_MIN_BATCH,
  )
  const external = make({ trustedRoot: baseRoot })
  const { log, rekorV2, rekor, tsa } = backend
  if (log) {
    // Timestamps from the embedded TSA count like any trusted TSA's; v2 entries of the embedded v2 log too.
    const root = await exportEmbeddedTrustedRoot({ log, rekorV2, tsa }, baseRoot as never)
    const logs = rekorV2 ? [log, rekorV2] : [log]
    const shards = (await Promise.all(logs.map((each) => each.listShards()))).flat()
    return {
      local: make({
        trustedRoot: root as unknown as TrustedRootJson,
        online: {
          getEntry: async (uuid) => {
            for (const each of logs) {
              const found = await each.getEntryByUuid(uuid)
              if (found) return found
            }
            return undefined
          },
        },
      }),
      external,
      localLogIds: new Set(shards.map((shard) => shard.logId.toLowerCase())),
      close,
    }
  }
  if (rekor) {
    // Bundles from the configured Rekor are confirmed online against it; its log IDs come from the trusted root.
    return {
      local: make({
        trustedRoot: baseRoot,
        online: { getEntry: (uuid, lookup) => findRekorEntry(rekor, uuid, lookup?.signal) },
      }),
      external,
      localLogIds: trustedRootLogIds(baseRoot),
      close,
    }
  }
  // Transparency off: bundles this service signs carry no entry and no timestamp.
  return {
    local: make({ trustedRoot: baseRoot, tlogThreshold: 0, timestampThreshold: 0 }),
    external,
    localLogIds: new Set(),
    entrylessIsLocal: true,
    close,
  }
}

/** Hex log IDs of a trusted root's transparency logs. */
function trustedRootLogIds(root: TrustedRootJson): Set<string> {
  return new Set(
    ((root.tlogs as Array<{ logId?: { keyId?: string } }> | undefined) ?? [])
      .map((tlog) => tlog.logId?.keyId)
      .filter((keyId): keyId is string => typeof keyId === 'string')
      .map((keyId) => Buffer.from(keyId, 'base64').toString('hex')),
  )
}
