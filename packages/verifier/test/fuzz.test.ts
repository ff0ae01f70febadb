import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, parseTrustedRoot, type Verifier, VerifierError } from '../src/index.js'
import { buildFixture, type Fixture, IDENTITY, ISSUER } from './helpers/fixture.js'

let fixture: Fixture
let verifier: Verifier
const policy = { identity: IDENTITY, issuer: ISSUER }

beforeAll(() => {
  fixture = buildFixture()
  verifier = createVerifier({ trustedRoot: fixture.trustedRoot })
})

/** Runs one verification; any outcome but a VerifierError (or success) fails, and so does a slow one. */
async function mustNotCrash(bundle: unknown): Promise<void> {
  const started = performance.now()
  try {
    await verifier.verify(bundle, fixture.artifact, policy)
  } catch (error) {
    if (!VerifierError.is(error)) throw new Error(`untyped failure: ${String(error)}`, { cause: error })
  }
  expect(performance.now() - started).toBeLessThan(2000)
}

type Json = Record<string, unknown>

/** Every path to a value inside a JSON tree. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const result: Array<Array<string | number>> = [prefix]
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) result.push(...paths(item, [...prefix, index]))
  } else if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) result.push(...paths(item, [...prefix, key]))
  return result
}

function replaceAt(root: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement
  const copy = structuredClone(root) as Json
  let cursor: any = copy
  for (const key of path.slice(0, -1)) cursor = cursor[key]
  cursor[path[path.length - 1]!] = replacement
  return copy
}

describe('fuzzed input never crashes or hangs the verifier', () => {
  it('arbitrary JSON values and strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue(), fc.string(), fc.uint8Array({ maxLength: 200 })),
        async (value) => mustNotCrash(value),
      ),
      { numRuns: 300 },
    )
  })

  it('a valid bundle with one value replaced by arbitrary JSON', async () => {
    const all = paths(fixture.bundle).filter((path) => path.length > 0)
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...all), fc.jsonValue({ maxDepth: 2 }), async (path, replacement) =>
        mustNotCrash(replaceAt(fixture.bundle, path, replacement)),
      ),
      { numRuns: 400 },
    )
  })

  it('a valid bundle with one string value edited (base64, checkpoint text, integers)', async () => {
    const stringPaths = paths(fixture.bundle).filter((path) => {
      let cursor: any = fixture.bundle
      for (const key of path) cursor = cursor?.[key]
      return typeof cursor === 'string'
    })
    await fc.assert(
      // '-', '_' and line breaks are excluded: they can re-spell the same base64 bytes.
      fc.asyncProperty(
        fc.constantFrom(...stringPaths),
        fc.nat(),
        fc.string({ maxLength: 4 }).filter((text) => !/[-_\r\n]/.test(text)),
        async (path, position, insert) => {
          let cursor: any = fixture.bundle
          for (const key of path) cursor = cursor[key]
          const text = cursor as string
          const at = position % (text.length + 1)
          const edited = text.slice(0, at) + insert + text.slice(at + 1)
          const bundle = replaceAt(fixture.bundle, path, edited)
          // Dropping base64 padding re-spells the same bytes; such edits only have to not crash.
          const sameBytes =
            /^[A-Za-z0-9+/=]+$/.test(text) &&
            Buffer.from(edited, 'base64').equals(Buffer.from(text, 'base64'))
          if (
            edited !== text &&
            !sameBytes &&
            path.join('.') !== 'verificationMaterial.tlogEntries.0.inclusionProof.checkpoint.envelope'
          ) {
            // Changing any signed or bound value must be rejected (only checkpoint whitespace could be benign).
            await expect(verifier.verify(bundle, fixture.artifact, policy)).rejects.toBeInstanceOf(
              VerifierError,
            )
          } else {
            await mustNotCrash(bundle)
          }
        },
      ),
      { numRuns: 400 },
    )
  })

  it('truncated bundle text', async () => {
    const text = JSON.stringify(fixture.bundle)
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: text.length - 1 }), async (cut) => mustNotCrash(text.slice(0, cut))),
      { numRuns: 200 },
    )
  })

  it('fuzzed trusted roots are rejected with a typed error or accepted, never a crash', () => {
    const all = paths(fixture.trustedRoot).filter((path) => path.length > 0)
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.jsonValue({ maxDepth: 2 }), (path, replacement) => {
        try {
          parseTrustedRoot(replaceAt(fixture.trustedRoot, path, replacement))
        } catch (error) {
          if (!VerifierError.is(error)) throw error
        }
      }),
      { numRuns: 400 },
    )
  })
})
