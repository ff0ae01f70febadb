import { readFile } from 'node:fs/promises'
import * as z from 'zod'
import { SignerError } from '../errors.js'

/** Media type of a Sigstore SigningConfig v0.2 (protobuf-specs `sigstore_trustroot.proto`). */
export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json'

/** The TUF target that carries the SigningConfig (public-good and any TUF repository following it). */
export const SIGNING_CONFIG_TUF_TARGET = 'signing_config.v0.2.json'

/** Major API versions of each service this package can talk to. */
export const SUPPORTED_API_VERSIONS = { rekor: [1, 2], tsa: [1], ca: [1], oidc: [1] } as const

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
// Dates are accepted too, so an already parsed config parses again unchanged.
const Timestamp = z.lazy(() =>
  z.union([z.date(), z.iso.datetime({ offset: true }).transform((value) => new Date(value))]),
)
const ServiceSchema = z.lazy(() =>
  z.object({
    url: z.url({ protocol: /^https?$/ }),
    majorApiVersion: z.number().int().positive(),
    validFor: z.object({ start: Timestamp, end: Timestamp.optional() }),
    operator: z.string().optional(),
  }),
)
const SelectorSchema = z.lazy(() =>
  z
    .object({
      selector: z.enum(['ALL', 'ANY', 'EXACT']),
      count: z.number().int().nonnegative().optional(),
    })
    .refine(
      (config) => config.selector !== 'EXACT' || (config.count ?? 0) > 0,
      'EXACT needs a positive count',
    ),
)

// Sigstore's own JSON is protobuf JSON: absent lists mean empty. Unknown fields are kept out, not rejected, so a
// newer config still loads.
const SigningConfigSchema = z.lazy(() =>
  z.object({
    mediaType: z.literal(SIGNING_CONFIG_MEDIA_TYPE),
    caUrls: z.array(ServiceSchema).default([]),
    oidcUrls: z.array(ServiceSchema).default([]),
    rekorTlogUrls: z.array(ServiceSchema).default([]),
    tsaUrls: z.array(ServiceSchema).default([]),
    rekorTlogConfig: SelectorSchema.optional(),
    tsaConfig: SelectorSchema.optional(),
  }),
)

/** A parsed SigningConfig v0.2 (dates as `Date`). */
export type SigningConfig = z.infer<typeof SigningConfigSchema>
/** One service of a SigningConfig. */
export type SigningConfigService = z.infer<typeof ServiceSchema>
/** `rekorTlogConfig` / `tsaConfig`: how many services to use. */
export type ServiceSelector = z.infer<typeof SelectorSchema>

/**
 * Parses and validates a SigningConfig v0.2 (JSON text or the parsed value).
 * @throws SignerError `SIGNER_INVALID_INPUT` naming the first bad field.
 */
export function parseSigningConfig(json: unknown): SigningConfig {
  let value = json
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json)
    } catch (error) {
      throw new SignerError({
        code: 'SIGNER_INVALID_INPUT',
        message: 'the signing config is not JSON',
        cause: error,
      })
    }
  }
  const parsed = SigningConfigSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue?.path.map(String).join('.') || '(root)'
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: `the signing config is invalid at ${field}: ${issue?.message ?? 'invalid'}`,
      details: {
        field,
        issues: parsed.error.issues.map((item) => ({ path: item.path.map(String), message: item.message })),
      },
      cause: parsed.error,
    })
  }
  return parsed.data
}

/** Where a SigningConfig comes from: a file, a value, or a TUF repository (via `@sigstore/tuf`). */
export type SigningConfigSource =
  | { path: string }
  | { json: unknown }
  | {
      tuf: {
        /** TUF mirror. @default @sigstore/tuf's default (the public-good repository) */
        mirrorURL?: string
        /** Path to the repository's trusted `root.json`. @default the embedded public-good root */
        rootPath?: string
        /** Directory for cached metadata. @default @sigstore/tuf's default */
        cachePath?: string
      }
    }

/**
 * Loads a SigningConfig from a file, a value, or a TUF repository (the target `signing_config.v0.2.json`).
 * @example await loadSigningConfig({ path: 'signing_config.json' })
 * @throws SignerError `SIGNER_INVALID_INPUT` (unreadable or invalid), `SIGNER_WITNESS_UNREACHABLE` (TUF failed).
 */
export async function loadSigningConfig(source: SigningConfigSource): Promise<SigningConfig> {
  if ('json' in source) return parseSigningConfig(source.json)
  if ('path' in source) {
    let text: string
    try {
      text = await readFile(source.path, 'utf8')
    } catch (error) {
      throw new SignerError({
        code: 'SIGNER_INVALID_INPUT',
        message: `could not read the signing config ${source.path}`,
        cause: error,
      })
    }
    return parseSigningConfig(text)
  }
  return parseSigningConfig(await fetchFromTuf(source.tuf))
}

async function fetchFromTuf(options: {
  mirrorURL?: string
  rootPath?: string
  cachePath?: string
}): Promise<string> {
  try {
    // Loaded on demand: TUF pulls in make-fetch-happen and friends, which key-based signing never needs.
    const { initTUF } = await import('@sigstore/tuf')
    const tuf = await initTUF({
      ...(options.mirrorURL ? { mirrorURL: options.mirrorURL } : {}),
      ...(options.rootPath ? { rootPath: options.rootPath } : {}),
      ...(options.cachePath ? { cachePath: options.cachePath } : {}),
    })
    return await tuf.getTarget(SIGNING_CONFIG_TUF_TARGET)
  } catch (error) {
    throw new SignerError({
      code: 'SIGNER_WITNESS_UNREACHABLE',
      message: `could not fetch ${SIGNING_CONFIG_TUF_TARGET} from the TUF repository`,
      cause: error,
    })
  }
}

/** Options of {@link selectServices}. */
export interface SelectServicesOptions {
  /** The moment the services must be valid at. @default new Date() */
  now?: Date
  /** Only these Rekor major versions. @default [1, 2] (the highest valid one wins) */
  rekorVersions?: readonly number[]
}

/** The services a SigningConfig selects for one signing. */
export interface SelectedServices {
  rekor: SigningConfigService[]
  tsa: SigningConfigService[]
  ca?: SigningConfigService
  oidc?: SigningConfigService
}

function isValidAt(service: SigningConfigService, now: Date): boolean {
  return service.validFor.start <= now && (service.validFor.end === undefined || now <= service.validFor.end)
}

/**
 * The valid services of the highest supported major version, newest validity start first (config order on ties),
 * at most one per operator (the newest). Services without an operator count as one operator, as in sigstore-go.
 */
function candidates(
  services: SigningConfigService[],
  versions: readonly number[],
  now: Date,
): SigningConfigService[] {
  const usable = services
    .filter((service) => isValidAt(service, now) && versions.includes(service.majorApiVersion))
    // Array.prototype.sort is stable, so ties keep the config's order.
    .sort((left, right) => right.validFor.start.getTime() - left.validFor.start.getTime())
  const highest = Math.max(...usable.map((service) => service.majorApiVersion))
  const operators = new Set<string>()
  return usable.filter((service) => {
    if (service.majorApiVersion !== highest) return false
    // Services of one operator share fate; a quorum of them would prove nothing more than one.
    const operator = service.operator ?? ''
    if (operators.has(operator)) return false
    operators.add(operator)
    return true
  })
}

function applySelector(
  what: string,
  services: SigningConfigService[],
  selector: ServiceSelector | undefined,
): SigningConfigService[] {
  const mode = selector?.selector ?? 'ANY'
  if (mode === 'ALL') return services
  const count = mode === 'EXACT' ? selector!.count! : Math.min(1, services.length)
  if (services.length < count) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: `the signing config asks for ${count} ${what} services but only ${services.length} are valid and supported`,
    })
  }
  return services.slice(0, count)
}

/**
 * Chooses services from a SigningConfig the way Sigstore clients do (sigstore-go's `SelectServices`): among the
 * services valid at `now` whose major API version we support, keep the highest version, newest validity start first,
 * one per operator; then `ALL` takes them all, `ANY` the first, `EXACT` the first `count` (an error when there are
 * fewer). Upstream picks at random for ANY/EXACT; we take the newest, so a run is reproducible. CA and OIDC: the
 * first such service.
 * @throws SignerError `SIGNER_INVALID_INPUT` when an `EXACT` selector cannot be met.
 */
export function selectServices(config: SigningConfig, options: SelectServicesOptions = {}): SelectedServices {
  const now = options.now ?? new Date()
  const rekorVersions = options.rekorVersions ?? SUPPORTED_API_VERSIONS.rekor
  const rekor = applySelector(
    'Rekor',
    candidates(config.rekorTlogUrls, rekorVersions, now),
    config.rekorTlogConfig,
  )
  const tsa = applySelector(
    'timestamp authority',
    candidates(config.tsaUrls, SUPPORTED_API_VERSIONS.tsa, now),
    config.tsaConfig,
  )
  const ca = candidates(config.caUrls, SUPPORTED_API_VERSIONS.ca, now)[0]
  const oidc = candidates(config.oidcUrls, SUPPORTED_API_VERSIONS.oidc, now)[0]
  return { rekor, tsa, ...(ca ? { ca } : {}), ...(oidc ? { oidc } : {}) }
}
