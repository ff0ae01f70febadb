import { createPublicKey, type KeyObject } from 'node:crypto'
import { RekorClient, RekorV2Client } from '@certus-trust/rekor'
import { SignerError } from './errors.js'
import { parseSigningConfig, type SigningConfig, selectServices } from './signing-config/config.js'
import { createTimestampAuthorityWitness } from './timestamp-witness.js'
import type { Witness } from './witness.js'

/** Options of {@link witnessesFromSigningConfig}. */
export interface ConfigWitnessOptions {
  /** Use only Rekor logs of this major API version. @default the highest valid version the config lists (1 or 2) */
  rekorVersion?: 1 | 2
  /** The moment services must be valid at. @default new Date() */
  now?: Date
  /** fetch for every client (the test seam). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
  /** Per-request timeout (ms) for logs and TSAs. @default each client's default */
  timeout?: number
  /**
   * A Sigstore TrustedRoot (JSON) naming the logs' keys. A Rekor v2 log found in it (same `baseUrl`) gets its key,
   * so its checkpoints are authenticated at signing time and a re-signed identical entry (409) is read back from
   * the tiles instead of failing.
   */
  trustedRoot?: unknown
}

type TlogJson = { baseUrl?: unknown; publicKey?: { rawBytes?: unknown }; checkpointKeyId?: unknown }

/**
 * The key of the Rekor v2 log at `url` in a TrustedRoot: the `tlogs` entry with that `baseUrl` and a
 * `checkpointKeyId` (what v2 logs carry), else the only entry with that `baseUrl`, else the root's only v2 entry.
 */
function v2LogKey(trustedRoot: unknown, url: string): KeyObject | undefined {
  const tlogs = (trustedRoot as { tlogs?: unknown } | undefined)?.tlogs
  if (!Array.isArray(tlogs)) return undefined
  const same = (tlogs as TlogJson[]).filter(
    (tlog) =>
      typeof tlog?.baseUrl === 'string' && tlog.baseUrl.replace(/\/+$/, '') === url.replace(/\/+$/, ''),
  )
  // A log may name itself by another URL than it is reached at (the embedded log's trusted root says its configured
  // base URL, a SigningConfig where it answers): then the root's only Rekor v2 log (with a checkpointKeyId) is it.
  const v2 = (tlogs as TlogJson[]).filter((tlog) => tlog?.checkpointKeyId !== undefined)
  const chosen =
    same.find((tlog) => tlog.checkpointKeyId !== undefined) ??
    (same.length === 1 ? same[0] : undefined) ??
    (v2.length === 1 ? v2[0] : undefined)
  if (typeof chosen?.publicKey?.rawBytes !== 'string') return undefined
  try {
    return createPublicKey({
      key: Buffer.from(chosen.publicKey.rawBytes, 'base64'),
      format: 'der',
      type: 'spki',
    })
  } catch {
    return undefined
  }
}

function v2Key(trustedRoot: unknown, url: string): { logKey?: KeyObject } {
  const logKey = trustedRoot === undefined ? undefined : v2LogKey(trustedRoot, url)
  return logKey ? { logKey } : {}
}

/**
 * Turns a SigningConfig into witnesses: a `RekorClient` per selected Rekor v1 log, a `RekorV2Client` per selected
 * Rekor v2 log, and an RFC 3161 witness per selected timestamp authority.
 * @example createSigner({ key, witness: witnessesFromSigningConfig(await loadSigningConfig({ path })) })
 * @throws SignerError `SIGNER_INVALID_INPUT` (invalid config, an EXACT selector that cannot be met, Rekor v2
 * without a TSA), `SIGNER_WITNESS_REQUIRED` (the config selects no log and no TSA).
 */
export function witnessesFromSigningConfig(
  config: SigningConfig | unknown,
  options: ConfigWitnessOptions = {},
): Witness[] {
  const parsed = parseSigningConfig(config)
  if (options.rekorVersion !== undefined && options.rekorVersion !== 1 && options.rekorVersion !== 2) {
    throw new SignerError({ code: 'SIGNER_INVALID_INPUT', message: 'rekorVersion must be 1 or 2' })
  }
  const selected = selectServices(parsed, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.rekorVersion ? { rekorVersions: [options.rekorVersion] } : {}),
  })
  if (options.rekorVersion !== undefined && selected.rekor.length === 0) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: `the signing config lists no Rekor v${options.rekorVersion} log valid now`,
    })
  }
  const common = {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeout ? { timeout: options.timeout } : {}),
  }
  const logs: Witness[] = selected.rekor.map((service) =>
    service.majorApiVersion === 2
      ? new RekorV2Client({ baseUrl: service.url, ...common, ...v2Key(options.trustedRoot, service.url) })
      : new RekorClient({ baseUrl: service.url, ...common }),
  )
  const tsas = selected.tsa.map((service) => createTimestampAuthorityWitness({ url: service.url, ...common }))
  if (logs.length + tsas.length === 0) {
    throw new SignerError({
      code: 'SIGNER_WITNESS_REQUIRED',
      message: 'the signing config selects no transparency log and no timestamp authority valid now',
    })
  }
  if (selected.rekor.some((service) => service.majorApiVersion === 2) && tsas.length === 0) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message:
        'the signing config selects a Rekor v2 log but no timestamp authority: Rekor v2 entries carry no time',
    })
  }
  return [...logs, ...tsas]
}
