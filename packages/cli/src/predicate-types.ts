import { CliError } from './errors.js'

/** cosign's `--type` names and the predicate type URIs they stand for. */
export const PREDICATE_TYPE_NAMES: Readonly<Record<string, string>> = Object.freeze({
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  link: 'https://in-toto.io/Link/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
  custom: 'https://cosign.sigstore.dev/attestation/v1',
})

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isString = (value: unknown): value is string => typeof value === 'string' && value !== ''

/**
 * Recognisers of predicates whose shape names their type beyond doubt: each checks fields only that type has
 * (a marker field, or required fields no other listed type carries). Anything else needs `--predicate-type`.
 */
const RECOGNISERS: ReadonlyArray<{ type: string; matches: (predicate: Json) => boolean }> = [
  {
    // SLSA provenance v1: buildDefinition.buildType and runDetails.builder.id are required.
    type: PREDICATE_TYPE_NAMES.slsaprovenance1 as string,
    matches: (p) =>
      isObject(p.buildDefinition) &&
      isString(p.buildDefinition.buildType) &&
      isObject(p.runDetails) &&
      isObject(p.runDetails.builder) &&
      isString(p.runDetails.builder.id),
  },
  {
    // SLSA provenance v0.2: builder.id and buildType at the top level.
    type: PREDICATE_TYPE_NAMES.slsaprovenance02 as string,
    matches: (p) => isObject(p.builder) && isString(p.builder.id) && isString(p.buildType),
  },
  {
    // An in-toto link (the signed part of a .link file), marked by its _type.
    type: PREDICATE_TYPE_NAMES.link as string,
    matches: (p) => p._type === 'link' && isString(p.name),
  },
  {
    // SPDX 2.x JSON: spdxVersion "SPDX-2.x" and an SPDXID.
    type: PREDICATE_TYPE_NAMES.spdxjson as string,
    matches: (p) => isString(p.spdxVersion) && p.spdxVersion.startsWith('SPDX-') && isString(p.SPDXID),
  },
  {
    // CycloneDX JSON: bomFormat is the literal "CycloneDX".
    type: PREDICATE_TYPE_NAMES.cyclonedx as string,
    matches: (p) => p.bomFormat === 'CycloneDX',
  },
  {
    // OpenVEX: its JSON-LD @context is the OpenVEX namespace.
    type: PREDICATE_TYPE_NAMES.openvex as string,
    matches: (p) => isString(p['@context']) && p['@context'].startsWith('https://openvex.dev/ns'),
  },
  {
    // cosign's vulnerability scan: scanner.uri plus metadata.scanStartedOn/scanFinishedOn.
    type: PREDICATE_TYPE_NAMES.vuln as string,
    matches: (p) =>
      isObject(p.scanner) &&
      isString(p.scanner.uri) &&
      isObject(p.metadata) &&
      isString(p.metadata.scanStartedOn) &&
      isString(p.metadata.scanFinishedOn),
  },
]

/** The predicate type `attest` uses, and whether the flag named it or it was inferred. */
export interface ChosenPredicateType {
  predicateType: string
  source: 'flag' | 'inferred'
}

/**
 * `--predicate-type` (a URI, or one of cosign's names), else the one type the predicate's shape identifies.
 * @throws CliError `CLI_USAGE` when the flag is neither a URI nor a known name, or when no flag is given and the
 *   predicate is not recognisably one known type (never a silent default).
 */
export function choosePredicateType(flag: string | undefined, predicate: Json): ChosenPredicateType {
  if (flag !== undefined) {
    const named = PREDICATE_TYPE_NAMES[flag]
    if (named) return { predicateType: named, source: 'flag' }
    if (!URL.canParse(flag)) {
      throw new CliError({
        code: 'CLI_USAGE',
        message: `--predicate-type must be a URI or one of ${Object.keys(PREDICATE_TYPE_NAMES).join(', ')}`,
      })
    }
    return { predicateType: flag, source: 'flag' }
  }
  const matches = RECOGNISERS.filter((recogniser) => recogniser.matches(predicate)).map((r) => r.type)
  if (matches.length === 1) return { predicateType: matches[0] as string, source: 'inferred' }
  throw new CliError({
    code: 'CLI_USAGE',
    message:
      matches.length === 0
        ? '--predicate-type is required: the predicate is not recognisably SLSA provenance (v0.2, v1), an in-toto link, SPDX, CycloneDX, OpenVEX or a cosign vuln scan'
        : `--predicate-type is required: the predicate looks like more than one type (${matches.join(', ')})`,
  })
}
