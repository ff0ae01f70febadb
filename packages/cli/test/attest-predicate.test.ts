import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { choosePredicateType } from '../src/predicate-types.js'
import { certus, json, tempDir } from './helpers.js'

/* `attest` never labels a predicate silently: --predicate-type, or a type its shape names beyond doubt. */

const SHAPES: Array<[string, object, string]> = [
  [
    'SLSA v1',
    {
      buildDefinition: { buildType: 'https://t', externalParameters: {} },
      runDetails: { builder: { id: 'https://b' } },
    },
    'https://slsa.dev/provenance/v1',
  ],
  [
    'SLSA v0.2',
    { builder: { id: 'https://b' }, buildType: 'https://t', invocation: {} },
    'https://slsa.dev/provenance/v0.2',
  ],
  [
    'in-toto link',
    { _type: 'link', name: 'build', materials: {}, products: {}, command: ['make'] },
    'https://in-toto.io/Link/v1',
  ],
  [
    'SPDX 2.3',
    { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'x' },
    'https://spdx.dev/Document',
  ],
  ['CycloneDX', { bomFormat: 'CycloneDX', specVersion: '1.5' }, 'https://cyclonedx.org/bom'],
  ['OpenVEX', { '@context': 'https://openvex.dev/ns/v0.2.0', statements: [] }, 'https://openvex.dev/ns'],
  [
    'cosign vuln',
    {
      scanner: { uri: 'pkg:github/aquasecurity/trivy', result: {} },
      metadata: { scanStartedOn: 't0', scanFinishedOn: 't1' },
    },
    'https://cosign.sigstore.dev/attestation/vuln/v1',
  ],
]

describe('predicate type inference', () => {
  it.each(SHAPES)('recognises %s', (_name, predicate, type) => {
    expect(choosePredicateType(undefined, predicate as Record<string, unknown>)).toEqual({
      predicateType: type,
      source: 'inferred',
    })
  })

  it('refuses to guess for an unknown or ambiguous shape, and takes cosign names and URIs', () => {
    expect(() => choosePredicateType(undefined, { anything: 1 })).toThrow(/--predicate-type is required/)
    // Both SLSA v0.2 and CycloneDX markers: ambiguous.
    expect(() =>
      choosePredicateType(undefined, { builder: { id: 'b' }, buildType: 't', bomFormat: 'CycloneDX' }),
    ).toThrow(/more than one type/)
    expect(choosePredicateType('slsaprovenance1', {})).toEqual({
      predicateType: 'https://slsa.dev/provenance/v1',
      source: 'flag',
    })
    expect(choosePredicateType('https://example.com/p/v1', { bomFormat: 'CycloneDX' })).toEqual({
      predicateType: 'https://example.com/p/v1',
      source: 'flag',
    })
    expect(() => choosePredicateType('not a uri', {})).toThrow(/must be a URI or one of/)
  })
})

describe('certus attest --predicate-type (built bin)', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let p: (name: string) => string
  beforeAll(async () => {
    dir = await tempDir()
    p = (name) => join(dir.path, name)
    await writeFile(p('a.txt'), 'subject\n')
    await writeFile(p('custom.json'), JSON.stringify({ reviewed: true }))
    await writeFile(
      p('sbom.json'),
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [] }),
    )
  })
  afterAll(() => dir.cleanup())

  it('requires --predicate-type for an unknown predicate (exit 2, nothing recorded), infers a CycloneDX one', async () => {
    const unknown = await certus([
      'attest',
      p('a.txt'),
      '--predicate',
      p('custom.json'),
      '--data-dir',
      p('data'),
      '--json',
    ])
    expect(unknown.code).toBe(2)
    expect(json(unknown)).toMatchObject({ ok: false, error: { code: 'CLI_USAGE' } })
    const sbom = await certus([
      'attest',
      p('a.txt'),
      '--predicate',
      p('sbom.json'),
      '--data-dir',
      p('data'),
      '--json',
    ])
    expect(sbom.code, sbom.stderr).toBe(0)
    expect(json(sbom)).toMatchObject({
      predicateType: 'https://cyclonedx.org/bom',
      predicateTypeSource: 'inferred',
      logIndex: 0,
    })
    const named = await certus([
      'attest',
      p('a.txt'),
      '--predicate',
      p('custom.json'),
      '--predicate-type',
      'custom',
      '--data-dir',
      p('data'),
      '--json',
    ])
    expect(named.code, named.stderr).toBe(0)
    expect(json(named)).toMatchObject({
      predicateType: 'https://cosign.sigstore.dev/attestation/v1',
      predicateTypeSource: 'flag',
    })
  })
})
