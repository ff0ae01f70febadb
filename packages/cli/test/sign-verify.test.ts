import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { bundleFromJSON } from '@sigstore/bundle'
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certus, json, tempDir } from './helpers.js'

// @sigstore/protobuf-specs is @sigstore/verify's own dependency; load the very copy it uses.
const requireFromVerify = createRequire(createRequire(import.meta.url).resolve('@sigstore/verify'))
const specs = requireFromVerify('@sigstore/protobuf-specs') as {
  TrustedRoot: { fromJSON(json: unknown): never }
  PublicKey: { fromJSON(json: unknown): never }
}

interface SignJson {
  ok: boolean
  results: Array<{
    file: string
    ok: boolean
    bundle: string
    digest: string
    logIndex: number
    uuid: string
  }>
}

/** The upstream sigstore-js verifier, with the signer's key registered under the bundle's key hint. */
function verifyUpstream(
  bundleJson: unknown,
  artifact: Buffer,
  trustedRoot: unknown,
  signerPem: string,
): void {
  const bundle = bundleFromJSON(bundleJson)
  const hint = (bundleJson as { verificationMaterial: { publicKey: { hint: string } } }).verificationMaterial
    .publicKey.hint
  const signerKey = specs.PublicKey.fromJSON({
    rawBytes: createPublicKey(signerPem).export({ type: 'spki', format: 'der' }).toString('base64'),
    keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    validFor: { start: '2000-01-01T00:00:00Z' },
  })
  const trust = toTrustMaterial(specs.TrustedRoot.fromJSON(trustedRoot), { [hint]: signerKey })
  new Verifier(trust).verify(toSignedEntity(bundle, artifact))
}

describe('sign -> trust-root export -> verify (built bin, embedded log in --data-dir)', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let p: (name: string) => string
  let first: SignJson['results'][number]

  beforeAll(async () => {
    dir = await tempDir()
    p = (name) => join(dir.path, name)
    await writeFile(p('a.txt'), 'the artifact\n')
    const keygen = await certus([
      'keygen',
      '--algorithm',
      'ecdsa-p256',
      '--private-key',
      p('k.pem'),
      '--public-key',
      p('k.pub'),
    ])
    expect(keygen.code, keygen.stderr).toBe(0)
  })
  afterAll(() => dir.cleanup())

  it('signs with the contract form and records the entry in the data directory', async () => {
    const result = await certus([
      'sign',
      p('a.txt'),
      '--key',
      p('k.pem'),
      '--bundle',
      p('a.json'),
      '--data-dir',
      p('data'),
      '--json',
    ])
    expect(result.code, result.stderr).toBe(0)
    const body = json<SignJson>(result)
    expect(body.ok).toBe(true)
    first = body.results[0] as SignJson['results'][number]
    expect(first.logIndex).toBe(0)
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    const bundle = JSON.parse(await readFile(p('a.json'), 'utf8'))
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json')
    expect(bundle.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope).toContain('\n')
    expect((await stat(join(p('data'), 'log-key.pem'))).mode & 0o777).toBe(0o600)
  })

  it('exports a trusted root that verify-bundle accepts, by path and by digest', async () => {
    const exported = await certus([
      'trust-root',
      'export',
      '--out',
      p('trusted_root.json'),
      '--data-dir',
      p('data'),
    ])
    expect(exported.code, exported.stderr).toBe(0)
    const root = JSON.parse(await readFile(p('trusted_root.json'), 'utf8'))
    // The Rekor v1 log `certus sign` wrote to, the Rekor v2 log beside it, and the timestamp authority.
    expect(root.tlogs).toHaveLength(2)
    expect(root.tlogs.filter((tlog: { checkpointKeyId?: unknown }) => tlog.checkpointKeyId)).toHaveLength(1)
    expect(root.timestampAuthorities).toHaveLength(1)

    const byPath = await certus([
      'verify-bundle',
      '--bundle',
      p('a.json'),
      '--key',
      p('k.pub'),
      '--trusted-root',
      p('trusted_root.json'),
      p('a.txt'),
    ])
    expect(byPath.code, byPath.stderr).toBe(0)
    const byDigest = await certus([
      'verify-bundle',
      '--bundle',
      p('a.json'),
      '--key',
      p('k.pub'),
      '--trusted-root',
      p('trusted_root.json'),
      first.digest,
    ])
    expect(byDigest.code, byDigest.stderr).toBe(0)
  })

  it('verify-bundle rejects a changed artifact, another key, and the public-good root', async () => {
    await writeFile(p('changed.txt'), 'the artifact, changed\n')
    const changed = await certus([
      'verify-bundle',
      '--bundle',
      p('a.json'),
      '--key',
      p('k.pub'),
      '--trusted-root',
      p('trusted_root.json'),
      p('changed.txt'),
    ])
    expect(changed.code).not.toBe(0)
    expect(changed.stderr.length).toBeGreaterThan(0)

    await certus(['keygen', '--private-key', p('other.pem'), '--public-key', p('other.pub')])
    const otherKey = await certus([
      'verify-bundle',
      '--bundle',
      p('a.json'),
      '--key',
      p('other.pub'),
      '--trusted-root',
      p('trusted_root.json'),
      p('a.txt'),
    ])
    expect(otherKey.code).not.toBe(0)

    // Without --trusted-root the public-good root is used, which does not know our log.
    const publicGood = await certus([
      'verify-bundle',
      '--bundle',
      p('a.json'),
      '--key',
      p('k.pub'),
      p('a.txt'),
    ])
    expect(publicGood.code).not.toBe(0)
  })

  it('produces bundles upstream @sigstore/verify accepts with the exported root (and rejects when tampered)', async () => {
    const bundle = JSON.parse(await readFile(p('a.json'), 'utf8'))
    const root = JSON.parse(await readFile(p('trusted_root.json'), 'utf8'))
    const pem = await readFile(p('k.pub'), 'utf8')
    expect(() => verifyUpstream(bundle, Buffer.from('the artifact\n'), root, pem)).not.toThrow()
    expect(() => verifyUpstream(bundle, Buffer.from('the artifact!\n'), root, pem)).toThrow()
  })

  it('signs many files with the data directory key (created 0600) and verifies them with `certus verify`', async () => {
    await writeFile(p('b.txt'), 'bee\n')
    await writeFile(p('c.txt'), 'sea\n')
    const signed = await certus(['sign', p('b.txt'), p('c.txt'), '--data-dir', p('data'), '--json'])
    expect(signed.code, signed.stderr).toBe(0)
    const body = json<SignJson>(signed)
    expect(body.results.map((item) => item.logIndex).sort()).toEqual([1, 2])
    expect((await stat(join(p('data'), 'signing-key.pem'))).mode & 0o777).toBe(0o600)
    const publicPem = createPublicKey(await readFile(join(p('data'), 'signing-key.pem'), 'utf8')).export({
      type: 'spki',
      format: 'pem',
    })
    await writeFile(p('data.pub'), publicPem)

    // `verify` finds <file>.sigstore.json and the data directory's trusted root by itself.
    const verified = await certus([
      'verify',
      p('b.txt'),
      p('c.txt'),
      '--key',
      p('data.pub'),
      '--data-dir',
      p('data'),
      '--json',
    ])
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
    const report = json<{ ok: boolean; results: Array<{ ok: boolean; logIndex: string }> }>(verified)
    expect(report.results.map((item) => item.ok)).toEqual([true, true])

    // One bad file among good ones: exit 1, the good one still reported as verified.
    await writeFile(p('c.txt'), 'sea, changed\n')
    const mixed = await certus([
      'verify',
      p('b.txt'),
      p('c.txt'),
      '--key',
      p('data.pub'),
      '--data-dir',
      p('data'),
    ])
    expect(mixed.code).toBe(1)
    expect(mixed.stdout).toMatch(/OK\s+\S*b\.txt/)
    expect(mixed.stdout).toMatch(/FAILED\s+\S*c\.txt/)
  })

  it('signs with an encrypted key when CERTUS_TRUST_KEY_PASSPHRASE holds its passphrase', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    await writeFile(
      p('enc.pem'),
      privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass phrase' }),
    )
    const wrong = await certus(
      ['sign', p('a.txt'), '--key', p('enc.pem'), '--bundle', p('enc.json'), '--data-dir', p('data')],
      {
        env: { CERTUS_TRUST_KEY_PASSPHRASE: 'wrong' },
      },
    )
    expect(wrong.code).toBe(3)
    const right = await certus(
      [
        'sign',
        p('a.txt'),
        '--key',
        p('enc.pem'),
        '--bundle',
        p('enc.json'),
        '--data-dir',
        p('data'),
        '--json',
      ],
      {
        env: { CERTUS_TRUST_KEY_PASSPHRASE: 'pass phrase' },
      },
    )
    expect(right.code, right.stderr).toBe(0)
    expect(json<SignJson>(right).results[0]?.logIndex).toBe(3)
  })

  it('attests (in-toto DSSE) and verifies the attestation against its subject', async () => {
    await writeFile(
      p('predicate.json'),
      JSON.stringify({ buildType: 'https://example.com/build', builder: { id: 'ci' } }),
    )
    const attested = await certus([
      'attest',
      p('a.txt'),
      '--predicate',
      p('predicate.json'),
      '--predicate-type',
      'https://slsa.dev/provenance/v1',
      '--key',
      p('k.pem'),
      '--bundle',
      p('a.intoto.json'),
      '--data-dir',
      p('data'),
      '--json',
    ])
    expect(attested.code, attested.stderr).toBe(0)
    expect(json<{ logIndex: number }>(attested).logIndex).toBe(4)
    const bundle = JSON.parse(await readFile(p('a.intoto.json'), 'utf8'))
    expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json')
    const verified = await certus([
      'verify',
      p('a.txt'),
      '--bundle',
      p('a.intoto.json'),
      '--key',
      p('k.pub'),
      '--data-dir',
      p('data'),
    ])
    expect(verified.code, verified.stderr).toBe(0)
  })

  it('reads the log: info, get, search, proof and consistency, each verified offline', async () => {
    const info = json<{ treeSize: number; rootHash: string; checkpointVerified: boolean }>(
      await certus(['log', 'info', '--data-dir', p('data'), '--json']),
    )
    expect(info.treeSize).toBe(5)
    expect(info.checkpointVerified).toBe(true)

    const got = await certus(['log', 'get', '--index', '0', '--data-dir', p('data'), '--json'])
    expect(got.code, got.stderr).toBe(0)
    const entry = json<{ entry: { uuid: string }; artifactHash: string; verified: string[] }>(got)
    expect(entry.artifactHash).toBe(first.digest)
    expect(entry.verified).toContain('signedEntryTimestamp')

    const search = json<{ uuids: string[] }>(
      await certus(['log', 'search', '--artifact', p('a.txt'), '--data-dir', p('data'), '--json']),
    )
    expect(search.uuids.some((uuid) => uuid.endsWith(entry.entry.uuid.slice(-64)))).toBe(true)

    const proof = await certus(['log', 'proof', '--index', '1', '--data-dir', p('data'), '--json'])
    expect(proof.code, proof.stderr).toBe(0)
    expect(json<{ inclusionProof: { treeSize: number } }>(proof).inclusionProof.treeSize).toBe(5)

    // The first bundle saw the tree at size 1: prove today's tree extends that one.
    const bundle = JSON.parse(await readFile(p('a.json'), 'utf8'))
    const oldRoot = Buffer.from(
      bundle.verificationMaterial.tlogEntries[0].inclusionProof.rootHash,
      'base64',
    ).toString('hex')
    const consistent = await certus([
      'log',
      'consistency',
      '--from',
      '1',
      '--from-root',
      oldRoot,
      '--data-dir',
      p('data'),
      '--json',
    ])
    expect(consistent.code, consistent.stderr).toBe(0)
    expect(json<{ verified: boolean; toSize: number }>(consistent)).toMatchObject({
      verified: true,
      toSize: 5,
    })
    const forged = await certus([
      'log',
      'consistency',
      '--from',
      '1',
      '--from-root',
      'ab'.repeat(32),
      '--data-dir',
      p('data'),
    ])
    expect(forged.code).not.toBe(0)
    expect(forged.stderr).toContain('REKOR_CONSISTENCY_PROOF_INVALID')

    const missing = await certus(['log', 'get', '--index', '99', '--data-dir', p('data')])
    expect(missing.code).toBe(3)
    expect(missing.stderr).toContain('CLI_NOT_FOUND')
  })

  it.each([
    ['ecdsa-p384', true],
    ['rsa', true],
    // Pure Ed25519 signs the artifact itself, so a bare digest cannot be checked: rejected, by design.
    ['ed25519', false],
  ])(
    'signs with a %s key from keygen; verify-bundle accepts the file (digest accepted: %s)',
    async (algorithm, digestOk) => {
      const key = p(`${algorithm}.pem`)
      const pub = p(`${algorithm}.pub`)
      expect(
        (await certus(['keygen', '--algorithm', algorithm, '--private-key', key, '--public-key', pub])).code,
      ).toBe(0)
      const signed = await certus([
        'sign',
        p('a.txt'),
        '--key',
        key,
        '--bundle',
        p(`${algorithm}.json`),
        '--data-dir',
        p('data'),
        '--json',
      ])
      expect(signed.code, signed.stderr).toBe(0)
      const digest = (json<SignJson>(signed).results[0] as SignJson['results'][number]).digest
      const common = [
        'verify-bundle',
        '--bundle',
        p(`${algorithm}.json`),
        '--key',
        pub,
        '--trusted-root',
        p('trusted_root.json'),
      ]
      const byPath = await certus([...common, p('a.txt')])
      expect(byPath.code, byPath.stderr).toBe(0)
      const byDigest = await certus([...common, digest])
      expect(byDigest.code === 0, byDigest.stderr).toBe(digestOk)
    },
  )
})
