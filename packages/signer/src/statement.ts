import * as z from 'zod'
import { SignerError } from './errors.js'

/** in-toto Statement v1 type URI. */
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
/** DSSE payload type of in-toto statements. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'

/** Predicate types of the helpers below. */
export const PREDICATE_TYPES = {
  cyclonedx: 'https://cyclonedx.org/bom',
  spdx: 'https://spdx.dev/Document',
  slsaProvenanceV1: 'https://slsa.dev/provenance/v1',
} as const

/** One in-toto subject: a name and its digests (lower-case hex). */
export interface Subject {
  name: string
  digest: Record<string, string>
}

/** An in-toto Statement v1. */
export interface Statement<Predicate = unknown> {
  _type: typeof IN_TOTO_STATEMENT_TYPE
  subject: Subject[]
  predicateType: string
  predicate: Predicate
}

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
const HexDigest = z.lazy(() => z.string().regex(/^[0-9a-f]+$/, 'digests must be lower-case hex'))
const SubjectSchema = z.lazy(() =>
  z.strictObject({
    name: z.string().min(1),
    digest: z
      .record(z.string().min(1), HexDigest)
      .refine((digest) => Object.keys(digest).length > 0, 'at least one digest'),
  }),
)
const StatementInputSchema = z.lazy(() =>
  z.strictObject({
    subjects: z.array(SubjectSchema).min(1),
    predicateType: z
      .string()
      .url()
      .or(z.string().regex(/^[a-z][a-z0-9+.-]*:/)),
    predicate: z.record(z.string(), z.unknown()),
  }),
)

/** Input of {@link createStatement}. */
export interface StatementInput<Predicate> {
  subjects: Subject[]
  /** A URI naming the predicate's schema. */
  predicateType: string
  /** The predicate: any JSON object. */
  predicate: Predicate
}

/**
 * Builds an in-toto Statement v1 for any predicate type with a JSON object body.
 * @throws SignerError `SIGNER_INVALID_INPUT` naming the bad field
 */
export function createStatement<Predicate extends object>(
  input: StatementInput<Predicate>,
): Statement<Predicate> {
  const parsed = StatementInputSchema.safeParse(input)
  if (!parsed.success) throw invalidInput('invalid in-toto statement input', parsed.error)
  if (!isJsonSafe(input.predicate)) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message:
        'the predicate must be plain JSON (no functions, cycles, bigint or undefined values in arrays)',
    })
  }
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: input.subjects,
    predicateType: input.predicateType,
    predicate: input.predicate,
  }
}

const CycloneDxSchema = z.lazy(() =>
  z.looseObject({ bomFormat: z.literal('CycloneDX'), specVersion: z.string().min(1) }),
)
const SpdxSchema = z.lazy(() =>
  z.union([
    z.looseObject({ spdxVersion: z.string().regex(/^SPDX-/) }),
    // SPDX 3 JSON-LD
    z.looseObject({
      '@context': z.union([z.string(), z.array(z.unknown())]),
      '@graph': z.array(z.unknown()),
    }),
  ]),
)
const SlsaProvenanceSchema = z.lazy(() =>
  z.looseObject({
    buildDefinition: z.looseObject({
      buildType: z.string().min(1),
      externalParameters: z.record(z.string(), z.unknown()),
      internalParameters: z.record(z.string(), z.unknown()).optional(),
      resolvedDependencies: z.array(z.looseObject({})).optional(),
    }),
    runDetails: z.looseObject({
      builder: z.looseObject({ id: z.string().min(1) }),
      metadata: z.looseObject({}).optional(),
    }),
  }),
)

/** A CycloneDX SBOM statement (predicate type `https://cyclonedx.org/bom`). @throws SignerError `SIGNER_INVALID_INPUT` */
export function cycloneDxStatement(
  subjects: Subject[],
  bom: Record<string, unknown>,
): Statement<Record<string, unknown>> {
  checkPredicate(CycloneDxSchema, bom, 'CycloneDX BOM (needs bomFormat "CycloneDX" and specVersion)')
  return createStatement({ subjects, predicateType: PREDICATE_TYPES.cyclonedx, predicate: bom })
}

/** An SPDX SBOM statement (predicate type `https://spdx.dev/Document`). @throws SignerError `SIGNER_INVALID_INPUT` */
export function spdxStatement(
  subjects: Subject[],
  document: Record<string, unknown>,
): Statement<Record<string, unknown>> {
  checkPredicate(
    SpdxSchema,
    document,
    'SPDX document (needs spdxVersion "SPDX-…", or SPDX 3 @context/@graph)',
  )
  return createStatement({ subjects, predicateType: PREDICATE_TYPES.spdx, predicate: document })
}

/** SLSA provenance v1 predicate (the fields we check; everything else passes through). */
export interface SlsaProvenanceV1 {
  buildDefinition: {
    buildType: string
    externalParameters: Record<string, unknown>
    internalParameters?: Record<string, unknown>
    resolvedDependencies?: Array<Record<string, unknown>>
  }
  runDetails: {
    builder: { id: string; [key: string]: unknown }
    metadata?: Record<string, unknown>
    [key: string]: unknown
  }
  [key: string]: unknown
}

/** A SLSA provenance v1 statement (predicate type `https://slsa.dev/provenance/v1`). @throws SignerError `SIGNER_INVALID_INPUT` */
export function slsaProvenanceStatement(
  subjects: Subject[],
  provenance: SlsaProvenanceV1,
): Statement<SlsaProvenanceV1> {
  checkPredicate(
    SlsaProvenanceSchema,
    provenance,
    'SLSA provenance v1 (needs buildDefinition.buildType/externalParameters and runDetails.builder.id)',
  )
  return createStatement({ subjects, predicateType: PREDICATE_TYPES.slsaProvenanceV1, predicate: provenance })
}

/** @internal Validates a whole statement handed to attest(). */
export function checkStatement(statement: unknown): Statement {
  const parsed = z
    .looseObject({
      _type: z.literal(IN_TOTO_STATEMENT_TYPE),
      subject: z.array(SubjectSchema).min(1),
      predicateType: z.string().min(1),
      predicate: z.unknown(),
    })
    .safeParse(statement)
  if (!parsed.success) throw invalidInput('invalid in-toto statement', parsed.error)
  return statement as Statement
}

function checkPredicate(schema: z.ZodType, value: unknown, what: string): void {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw invalidInput(`not a valid ${what}`, parsed.error)
}

function invalidInput(message: string, error: z.ZodError): SignerError {
  return new SignerError({
    code: 'SIGNER_INVALID_INPUT',
    message: `${message}: ${error.issues.map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`).join('; ')}`,
    details: {
      issues: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    },
  })
}

function isJsonSafe(value: unknown, seen = new Set<unknown>()): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (typeof value !== 'object') return false
  if (seen.has(value)) return false
  seen.add(value)
  const ok = Array.isArray(value)
    ? value.every((item) => isJsonSafe(item, seen))
    : Object.values(value).every((item) => item === undefined || isJsonSafe(item, seen))
  seen.delete(value)
  return ok
}
