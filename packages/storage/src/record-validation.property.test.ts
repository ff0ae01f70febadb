import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  buildSignedArtifact,
  NewSignedArtifactSchema,
  normalizeNewSignedArtifact,
} from './record-validation.js'
import type { NewSignedArtifact } from './records.js'

// The plain check in front of the record schema must change nothing: for any input, normalising gives what the
// schema path gave before it — the same record, or the same error with the same issues.

const NOW = new Date('2026-12-07T12:00:00.123Z')
const oneOf = <T>(...values: T[]) => fc.constantFrom(...values)
const anything = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 3 }), fc.boolean())
// Mostly valid values (the plain check must see many records it accepts), sometimes anything else.
const mostly = (valid: fc.Arbitrary<unknown>, invalid: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: invalid, weight: 1 })
const optional = (arbitrary: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 6 },
    { arbitrary, weight: 6 },
    { arbitrary: anything, weight: 1 },
  )
const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-fA-F]{${length}}$`))
const texts = mostly(
  fc.string({ minLength: 1, maxLength: 6 }),
  oneOf<unknown>('', 'a\u0000', '\uDC00', 'x'.repeat(2049), null, 7),
)

const inputs = fc.record(
  {
    id: optional(
      mostly(
        fc.oneof(
          fc.uuid(),
          fc.uuid().map((uuid) => uuid.toUpperCase()),
        ),
        oneOf('not-a-uuid'),
      ),
    ),
    artifactHash: mostly(
      hex(64).map((digest) => `sha256:${digest}`),
      fc.oneof(oneOf<unknown>('sha256:12', 'SHA256:ab'), anything),
    ),
    artifactType: mostly(
      oneOf('file', 'sbom', 'a.b+c/d-e_f'),
      fc.oneof(oneOf<unknown>('File', '-x', ''), anything),
    ),
    subject: texts,
    signature: texts,
    certificate: optional(texts),
    publicKey: optional(texts),
    bundle: mostly(
      fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        oneOf<unknown>(
          undefined,
          () => 1,
          Symbol('s'),
          new Date(0),
          { toJSON: () => 'x' },
          { n: Number.NaN },
        ),
      ),
    ),
    transparencyEntryUuid: optional(mostly(fc.oneof(hex(64), hex(80)), hex(63))),
    logIndex: optional(mostly(fc.nat(), oneOf(-1, 1.5, 2 ** 53))),
    integratedTime: optional(mostly(fc.nat(), oneOf(-1, 0.5))),
    logId: optional(mostly(hex(64), hex(62))),
    predicates: fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 2 }),
      oneOf<unknown>(() => 1, [undefined]),
    ),
    createdAt: optional(mostly(fc.date({ noInvalidDate: true }), fc.constant(new Date(Number.NaN)))),
    idempotencyKey: optional(mostly(fc.stringMatching(/^[\x21-\x7e]{1,8}$/), oneOf('has space', ''))),
  },
  { requiredKeys: ['artifactHash', 'artifactType', 'subject', 'signature', 'bundle'] },
)

/** What the schema path alone did (the code as it was before the plain check). */
function reference(input: unknown) {
  const parsed = NewSignedArtifactSchema.safeParse(input)
  if (!parsed.success)
    return {
      code: 'STORAGE_INVALID_RECORD',
      issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    }
  const value = parsed.data
  return {
    value: buildSignedArtifact({
      ...value,
      id: value.id ?? 'generated',
      createdAt: new Date(Math.trunc((value.createdAt ?? NOW).getTime())),
    } as never),
  }
}

function actual(input: unknown) {
  try {
    const record = normalizeNewSignedArtifact(input as NewSignedArtifact, NOW)
    const generated = (input as { id?: unknown }).id === undefined
    if (generated)
      expect(record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    return { value: generated ? { ...record, id: 'generated' } : record }
  } catch (error) {
    const { code, details } = error as { code: string; details: { issues: unknown } }
    return { code, issues: details.issues }
  }
}

describe('record validation: the plain check changes no outcome', () => {
  it('new signed artifacts', () => {
    let accepted = 0
    fc.assert(
      fc.property(inputs, (input) => {
        const outcome = actual(input)
        expect(outcome).toEqual(reference(input))
        if ('value' in outcome) accepted += 1
      }),
      { numRuns: 3000 },
    )
    // Not vacuous: many inputs were records (the plain check's path), many were not.
    expect(accepted).toBeGreaterThan(300)
    expect(accepted).toBeLessThan(2900)
  })
})
