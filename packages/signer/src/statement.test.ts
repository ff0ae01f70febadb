import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { Loose } from '../test/helpers.js'
import { createSigner } from './signer.js'
import {
  createStatement,
  cycloneDxStatement,
  IN_TOTO_STATEMENT_TYPE,
  PREDICATE_TYPES,
  slsaProvenanceStatement,
  spdxStatement,
} from './statement.js'

const subjects = [{ name: 'app.tgz', digest: { sha256: 'ab'.repeat(32) } }]
const code = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    return (error as { code?: string }).code
  }
  return 'no error'
}

describe('in-toto statements', () => {
  it('builds statements for CycloneDX, SPDX (2.x and 3), SLSA v1 and custom predicates', () => {
    expect(
      cycloneDxStatement(subjects, { bomFormat: 'CycloneDX', specVersion: '1.6', components: [] }),
    ).toMatchObject({
      _type: IN_TOTO_STATEMENT_TYPE,
      predicateType: PREDICATE_TYPES.cyclonedx,
      subject: subjects,
    })
    expect(spdxStatement(subjects, { spdxVersion: 'SPDX-2.3', name: 'x' }).predicateType).toBe(
      'https://spdx.dev/Document',
    )
    expect(
      spdxStatement(subjects, { '@context': 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld', '@graph': [] })
        .predicate,
    ).toHaveProperty('@graph')
    const provenance = {
      buildDefinition: { buildType: 'https://example.com/build/v1', externalParameters: { ref: 'main' } },
      runDetails: { builder: { id: 'https://ci.example.com' } },
    }
    expect(slsaProvenanceStatement(subjects, provenance).predicateType).toBe('https://slsa.dev/provenance/v1')
    expect(
      createStatement({
        subjects,
        predicateType: 'https://example.com/custom/v2',
        predicate: { nested: { list: [1, 'a', null] } },
      }).predicate,
    ).toEqual({ nested: { list: [1, 'a', null] } })
  })
  it('rejects malformed predicates and subjects with SIGNER_INVALID_INPUT', () => {
    expect(code(() => cycloneDxStatement(subjects, { specVersion: '1.6' }))).toBe('SIGNER_INVALID_INPUT')
    expect(code(() => spdxStatement(subjects, { name: 'x' }))).toBe('SIGNER_INVALID_INPUT')
    expect(
      code(() => slsaProvenanceStatement(subjects, { buildDefinition: { buildType: '' } } as never)),
    ).toBe('SIGNER_INVALID_INPUT')
    expect(code(() => createStatement({ subjects: [], predicateType: 'https://x', predicate: {} }))).toBe(
      'SIGNER_INVALID_INPUT',
    )
    expect(
      code(() =>
        createStatement({
          subjects: [{ name: 'a', digest: { sha256: 'NOT-HEX' } }],
          predicateType: 'https://x',
          predicate: {},
        }),
      ),
    ).toBe('SIGNER_INVALID_INPUT')
    expect(
      code(() =>
        createStatement({ subjects: [{ name: 'a', digest: {} }], predicateType: 'https://x', predicate: {} }),
      ),
    ).toBe('SIGNER_INVALID_INPUT')
    expect(code(() => createStatement({ subjects, predicateType: 'not a uri', predicate: {} }))).toBe(
      'SIGNER_INVALID_INPUT',
    )
    expect(
      code(() => createStatement({ subjects, predicateType: 'https://x', predicate: [] as never })),
    ).toBe('SIGNER_INVALID_INPUT')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(code(() => createStatement({ subjects, predicateType: 'https://x', predicate: cyclic }))).toBe(
      'SIGNER_INVALID_INPUT',
    )
    expect(
      code(() => createStatement({ subjects, predicateType: 'https://x', predicate: { n: Number.NaN } })),
    ).toBe('SIGNER_INVALID_INPUT')
  })
  it('attest() accepts a statement, parts or an artifact; rejects bad input', async () => {
    const signer = createSigner({
      key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      witness: 'none',
    })
    const statement = cycloneDxStatement(subjects, { bomFormat: 'CycloneDX', specVersion: '1.6' })
    const result = await signer.attest(statement)
    const payload = JSON.parse(
      Buffer.from((result.bundle as Loose).dsseEnvelope.payload, 'base64').toString(),
    )
    expect(payload).toEqual(statement)
    expect((result.bundle as Loose).dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json')
    await expect(signer.attest({ ...statement, subject: [] })).rejects.toMatchObject({
      code: 'SIGNER_INVALID_INPUT',
    })
    await expect(signer.attest(null as never)).rejects.toMatchObject({ code: 'SIGNER_INVALID_INPUT' })
    await expect(signer.attest({ foo: 1 } as never)).rejects.toMatchObject({ code: 'SIGNER_INVALID_INPUT' })
    await expect(
      signer.attest({ artifact: Buffer.from('x'), predicateType: 'https://x', predicate: {} }),
    ).rejects.toMatchObject({ code: 'SIGNER_INVALID_INPUT' })
    await expect(
      signer.attest({ artifact: 'sha256:zz', name: 'a', predicateType: 'https://x', predicate: {} }),
    ).rejects.toMatchObject({ code: 'SIGNER_INVALID_DIGEST' })
    const fromDigest = await signer.attest({
      artifact: `sha256:${'cd'.repeat(32)}`,
      name: 'a',
      predicateType: 'https://x.test/p',
      predicate: {},
    })
    expect(
      JSON.parse(Buffer.from((fromDigest.bundle as Loose).dsseEnvelope.payload, 'base64').toString()).subject,
    ).toEqual([{ name: 'a', digest: { sha256: 'cd'.repeat(32) } }])
  })
})
