import { createHash, X509Certificate } from 'node:crypto'
import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createVerifier,
  fetchTrustedRoot,
  loadTrustedRootFile,
  publicGoodTrustMaterial,
  rekorEntryLookup,
  runVerifyBundle,
  type Verifier,
  verify,
} from '../src/index.js'
import { ASSETS, DEFAULT_IDENTITY, DEFAULT_ISSUER, warnSkipped } from './helpers/conformance.js'
import { buildFixture, type Fixture, IDENTITY, ISSUER } from './helpers/fixture.js'

let fixture: Fixture
let verifier: Verifier
let dir: string
const policy = { identity: IDENTITY, issuer: ISSUER }

beforeAll(() => {
  fixture = buildFixture()
  verifier = createVerifier({ trustedRoot: fixture.trustedRoot })
  dir = mkdtempSync(join(tmpdir(), 'certus-verifier-'))
})

describe('verify with a custom trusted root', () => {
  it('reports who, when, which entry and which checks ran', async () => {
    const result = await verifier.verify(JSON.stringify(fixture.bundle), fixture.artifact, policy)
    expect(result.signer).toMatchObject({
      kind: 'certificate',
      identity: IDENTITY,
      issuer: ISSUER,
      certificateAuthority: 'https://fulcio.local.test',
      extensions: {
        githubWorkflowRepository: 'acme/app',
        sourceRepositoryURI: 'https://github.com/acme/app',
      },
    })
    expect(result.signedAt.getTime()).toBe(fixture.integratedTime * 1000)
    // The validated path: the bundle's leaf first, each certificate issued by the next, a self-signed root last.
    const chain = result.signer.kind === 'certificate' ? result.signer.certificateChain : []
    expect(chain.length).toBeGreaterThanOrEqual(2)
    expect(createHash('sha256').update(chain[0]!).digest('hex')).toBe(
      (result.signer as { certificateFingerprint: string }).certificateFingerprint,
    )
    const parsed = chain.map((der) => new X509Certificate(der))
    for (let index = 0; index + 1 < parsed.length; index++)
      expect(parsed[index]!.checkIssued(parsed[index + 1]!)).toBe(true)
    expect(parsed.at(-1)!.checkIssued(parsed.at(-1)!)).toBe(true)
    expect(result.tlogEntries).toHaveLength(1)
    const body = Buffer.from(
      (fixture.bundle as any).verificationMaterial.tlogEntries[0].canonicalizedBody,
      'base64',
    )
    expect(result.tlogEntries[0]).toMatchObject({
      baseUrl: 'https://rekor.local.test',
      logIndex: '1005',
      uuid: createHash('sha256')
        .update(Buffer.concat([Buffer.of(0), body]))
        .digest('hex'),
      verifiedBy: ['signed-entry-timestamp', 'inclusion-proof'],
      checkpoint: { origin: 'rekor.local.test - 42', treeSize: '7' },
    })
    expect(result.artifact.sha256).toBe(
      `sha256:${createHash('sha256').update(fixture.artifact).digest('hex')}`,
    )
    expect(result.checks).toEqual(
      expect.arrayContaining([
        'signature',
        'tlog-signed-entry-timestamp',
        'tlog-checkpoint-signature',
        'tlog-inclusion-proof',
        'tlog-body',
        'certificate-chain',
        'sct',
        'identity-policy',
      ]),
    )
  })

  it('accepts the artifact as bytes, digest string, {digest}, {path}, Node stream and web stream', async () => {
    const file = join(dir, 'artifact.txt')
    writeFileSync(file, fixture.artifact)
    const digest = `sha256:${createHash('sha256').update(fixture.artifact).digest('hex')}` as const
    const inputs = [
      fixture.artifact,
      new Uint8Array(fixture.artifact),
      digest,
      { digest },
      { path: file },
      createReadStream(file),
      Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
    ]
    for (const input of inputs) {
      await expect(verifier.verify(fixture.bundle, input, policy)).resolves.toMatchObject({
        artifact: { sha256: digest },
      })
    }
  })

  it('a DSSE bundle verifies for its subject given as bytes or digest, and reports the statement', async () => {
    const digest = `sha256:${createHash('sha256').update(fixture.artifact).digest('hex')}` as const
    const result = await verifier.verify(fixture.dsseBundle, digest, policy)
    expect(result.contentType).toBe('dsse')
    expect(result.statement).toEqual({
      predicateType: 'https://example.com/test/v1',
      subjects: [{ name: 'artifact.txt', digest: { sha256: digest.slice(7) } }],
    })
  })

  it('never guesses what a string is: only a sha256 digest is taken, a path must be { path }', async () => {
    const file = join(dir, 'artifact.txt')
    writeFileSync(file, fixture.artifact)
    // An existing file given as a plain string is refused, as is text: the caller says which it means.
    for (const text of [file, fixture.artifact.toString('utf8'), 'sha256:abc']) {
      await expect(verifier.verify(fixture.bundle, text as never, policy)).rejects.toMatchObject({
        code: 'VERIFIER_INVALID_ARTIFACT',
        message: expect.stringContaining('{ path }'),
      })
    }
    await expect(
      verifier.verify(fixture.bundle, { path: join(dir, 'missing') }, policy),
    ).rejects.toMatchObject({
      code: 'VERIFIER_INVALID_ARTIFACT',
    })
    await expect(verifier.verify(fixture.bundle, 42 as never, policy)).rejects.toMatchObject({
      code: 'VERIFIER_INVALID_ARTIFACT',
    })
  })

  it('accepts v0.1/v0.2 shapes with an x509CertificateChain, ignoring a root the chain carries', async () => {
    for (const mediaType of [
      'application/vnd.dev.sigstore.bundle+json;version=0.2',
      'application/vnd.dev.sigstore.bundle+json;version=0.1',
    ]) {
      const bundle = structuredClone(fixture.bundle) as any
      bundle.mediaType = mediaType
      bundle.verificationMaterial.x509CertificateChain = {
        certificates: [bundle.verificationMaterial.certificate],
      }
      delete bundle.verificationMaterial.certificate
      await expect(verifier.verify(bundle, fixture.artifact, policy)).resolves.toMatchObject({
        bundleVersion: mediaType.slice(-3),
      })
      bundle.verificationMaterial.x509CertificateChain.certificates.push({
        rawBytes: fixture.keys.root.der.toString('base64'),
      })
      // The path is built from the trusted root; the bundle's root is neither needed nor used (issue 17).
      await expect(verifier.verify(bundle, fixture.artifact, policy)).resolves.toMatchObject({
        bundleVersion: mediaType.slice(-3),
      })
    }
  })

  it('rejects timestamps in the future (clock checks)', async () => {
    const past = createVerifier({
      trustedRoot: fixture.trustedRoot,
      now: () => new Date((fixture.integratedTime - 3600) * 1000),
    })
    await expect(past.verify(fixture.bundle, fixture.artifact, policy)).rejects.toMatchObject({
      code: 'VERIFIER_TIMESTAMP_INVALID',
    })
  })
})

describe('policies', () => {
  it('matches identities exactly or by a whole-SAN regular expression', async () => {
    await expect(
      verifier.verify(fixture.bundle, fixture.artifact, {
        identityRegex: '^https://github\\.com/acme/.*$',
        issuer: ISSUER,
      }),
    ).resolves.toBeTruthy()
    await expect(
      verifier.verify(fixture.bundle, fixture.artifact, {
        identityRegex: /release\.yml@refs\/heads\/main$/,
        issuer: ISSUER,
      }),
    ).resolves.toBeTruthy()
    // String patterns are anchored: a partial match is not enough.
    await expect(
      verifier.verify(fixture.bundle, fixture.artifact, { identityRegex: 'acme', issuer: ISSUER }),
    ).rejects.toMatchObject({ code: 'VERIFIER_IDENTITY_MISMATCH' })
    await expect(
      verifier.verify(fixture.bundle, fixture.artifact, { identity: `${IDENTITY}x`, issuer: ISSUER }),
    ).rejects.toMatchObject({ code: 'VERIFIER_IDENTITY_MISMATCH' })
    await expect(
      verifier.verify(fixture.bundle, fixture.artifact, {
        identity: IDENTITY,
        issuer: 'https://accounts.google.com',
      }),
    ).rejects.toMatchObject({ code: 'VERIFIER_IDENTITY_MISMATCH' })
  })

  it('checks Fulcio extensions (GitHub workflow repository, source ref)', async () => {
    await expect(
      verifier.verify(fixture.bundle, fixture.artifact, {
        ...policy,
        extensions: { githubWorkflowRepository: 'acme/app', sourceRepositoryRef: 'refs/heads/main' },
      }),
    ).resolves.toBeTruthy()
    await expect(
      verifier.verify(fixture.bundle, fixture.artifact, {
        ...policy,
        extensions: { githubWorkflowRepository: 'evil/app' },
      }),
    ).rejects.toMatchObject({
      code: 'VERIFIER_IDENTITY_MISMATCH',
    })
    await expect(
      verifier.verify(fixture.bundle, fixture.artifact, { ...policy, extensions: { buildTrigger: 'push' } }),
    ).rejects.toMatchObject({
      code: 'VERIFIER_IDENTITY_MISMATCH',
    })
  })

  it('refuses incomplete or invalid policies unless allowAnyIdentity is explicit', async () => {
    await expect(
      verifier.verify(fixture.bundle, fixture.artifact, { identity: IDENTITY }),
    ).rejects.toMatchObject({ code: 'VERIFIER_INVALID_POLICY' })
    await expect(verifier.verify(fixture.bundle, fixture.artifact, {})).rejects.toMatchObject({
      code: 'VERIFIER_INVALID_POLICY',
    })
    await expect(verifier.verify(fixture.bundle, fixture.artifact, null as never)).rejects.toMatchObject({
      code: 'VERIFIER_INVALID_POLICY',
    })
    await expect(
      verifier.verify(fixture.bundle, fixture.artifact, { identityRegex: '(', issuer: ISSUER }),
    ).rejects.toMatchObject({ code: 'VERIFIER_INVALID_POLICY' })
    await expect(
      verifier.verify(fixture.bundle, fixture.artifact, { allowAnyIdentity: true }),
    ).resolves.toMatchObject({ signer: { identity: IDENTITY } })
  })

  it('verifies managed-key bundles with a PEM, DER or KeyObject key and reports the key id', async () => {
    const spki = fixture.keys.managed.publicKey.export({ type: 'spki', format: 'der' })
    const keyId = createHash('sha256').update(spki).digest('hex')
    for (const publicKey of [fixture.keyPem, new Uint8Array(spki), fixture.keys.managed.publicKey]) {
      await expect(
        verifier.verify(fixture.keyBundle, fixture.artifact, { publicKey }),
      ).resolves.toMatchObject({
        signer: { kind: 'publicKey', keyId, hint: 'managed' },
      })
    }
    await expect(
      verifier.verify(fixture.keyBundle, fixture.artifact, { publicKey: 'not a key' }),
    ).rejects.toMatchObject({ code: 'VERIFIER_INVALID_POLICY' })
  })
})

describe('batch and online checks', () => {
  it('verifies a batch with bounded concurrency, reporting progress and each outcome in order', async () => {
    const items = Array.from({ length: 12 }, (_, index) => ({
      bundle: fixture.bundle,
      artifact: index % 5 === 3 ? Buffer.from('wrong') : fixture.artifact,
      policy,
    }))
    const progress: number[] = []
    const outcomes = await verifier.verifyBatch(items, {
      concurrency: 3,
      onProgress: ({ done }) => progress.push(done),
    })
    expect(outcomes.map((outcome) => outcome.ok)).toEqual(items.map((_, index) => index % 5 !== 3))
    const failed = outcomes.find((outcome) => !outcome.ok)
    expect(failed && !failed.ok && failed.error.code).toBe('VERIFIER_ARTIFACT_MISMATCH')
    expect(progress).toEqual(Array.from({ length: 12 }, (_, index) => index + 1))
  })

  it('emits one debug event per verification through the logger, without key material', async () => {
    const events: Array<Record<string, unknown>> = []
    const record = (fields: Record<string, unknown>) => events.push(fields)
    const logged = createVerifier({
      trustedRoot: fixture.trustedRoot,
      logger: { debug: record, info: record, warn: record, error: record },
    })
    await logged.verify(fixture.bundle, fixture.artifact, policy)
    await expect(logged.verify(fixture.bundle, Buffer.from('x'), policy)).rejects.toBeTruthy()
    expect(events).toEqual([
      { verified: true, uuid: expect.stringMatching(/^[0-9a-f]{64}$/), signer: 'certificate' },
      { verified: false, code: 'VERIFIER_ARTIFACT_MISMATCH' },
    ])
  })

  it('checks that the entry still exists when an online lookup is configured', async () => {
    const body = (fixture.bundle as any).verificationMaterial.tlogEntries[0].canonicalizedBody as string
    const asked: string[] = []
    const found = createVerifier({
      trustedRoot: fixture.trustedRoot,
      online: {
        getEntry: async (uuid) => {
          asked.push(uuid)
          return { body }
        },
      },
    })
    const result = await found.verify(fixture.bundle, fixture.artifact, policy)
    expect(result.checks).toContain('online-entry')
    expect(asked).toEqual([result.tlogEntries[0]!.uuid])

    const gone = createVerifier({
      trustedRoot: fixture.trustedRoot,
      online: rekorEntryLookup({
        getEntryByUuid: async () => {
          throw Object.assign(new Error('not found'), { code: 'REKOR_NOT_FOUND' })
        },
      }),
    })
    await expect(gone.verify(fixture.bundle, fixture.artifact, policy)).rejects.toMatchObject({
      code: 'VERIFIER_ONLINE_CHECK_FAILED',
    })
    const changed = createVerifier({
      trustedRoot: fixture.trustedRoot,
      online: { getEntry: async () => ({ body: Buffer.from('{}').toString('base64') }) },
    })
    await expect(changed.verify(fixture.bundle, fixture.artifact, policy)).rejects.toMatchObject({
      code: 'VERIFIER_ONLINE_CHECK_FAILED',
    })
  })
})

describe('trust material', () => {
  it('embeds the public-good production root (offline)', () => {
    const material = publicGoodTrustMaterial()
    expect(material.tlogs.map((log) => log.baseUrl)).toContain('https://rekor.sigstore.dev')
    expect(material.certificateAuthorities.length).toBeGreaterThan(0)
    expect(material.ctlogs.length).toBeGreaterThan(0)
    expect(publicGoodTrustMaterial()).toBe(material)
  })

  it('rejects our fixture under the public-good root (its log is not trusted there)', async () => {
    await expect(verify(fixture.bundle, fixture.artifact, policy)).rejects.toMatchObject({
      code: 'VERIFIER_UNTRUSTED_LOG',
    })
  })

  it('loads a custom root from a file and reports unreadable files', async () => {
    const file = join(dir, 'trusted_root.json')
    writeFileSync(file, JSON.stringify(fixture.trustedRoot))
    const custom = createVerifier({ trustedRoot: await loadTrustedRootFile(file) })
    await expect(custom.verify(fixture.bundle, fixture.artifact, policy)).resolves.toBeTruthy()
    await expect(loadTrustedRootFile(join(dir, 'nope.json'))).rejects.toMatchObject({
      code: 'VERIFIER_TRUST_ROOT_UNAVAILABLE',
    })
    writeFileSync(join(dir, 'bad.json'), '{')
    await expect(loadTrustedRootFile(join(dir, 'bad.json'))).rejects.toMatchObject({
      code: 'VERIFIER_MALFORMED_TRUSTED_ROOT',
    })
  })

  it('reports a failed TUF refresh as VERIFIER_TRUST_ROOT_UNAVAILABLE (mirror unreachable)', async () => {
    const cachePath = mkdtempSync(join(tmpdir(), 'certus-tuf-'))
    await expect(
      fetchTrustedRoot({ mirrorURL: 'http://127.0.0.1:9', cachePath, retry: 0, timeout: 500 }),
    ).rejects.toMatchObject({ code: 'VERIFIER_TRUST_ROOT_UNAVAILABLE' })
  })
})

describe('runVerifyBundle (the conformance command)', () => {
  function capture() {
    const out = { stdout: '', stderr: '' }
    return {
      out,
      io: {
        stdout: { write: (text: string) => (out.stdout += text) },
        stderr: { write: (text: string) => (out.stderr += text) },
      },
    }
  }

  it('exits 0 for a verified bundle and 1 with the reason otherwise; accepts a leading verify-bundle', async () => {
    const bundle = join(dir, 'bundle.json')
    const root = join(dir, 'root.json')
    const artifact = join(dir, 'cmd-artifact.txt')
    const key = join(dir, 'key.pem')
    writeFileSync(bundle, JSON.stringify(fixture.bundle))
    writeFileSync(root, JSON.stringify(fixture.trustedRoot))
    writeFileSync(artifact, fixture.artifact)
    writeFileSync(key, fixture.keyPem)
    const ok = capture()
    expect(
      await runVerifyBundle(
        [
          'verify-bundle',
          '--bundle',
          bundle,
          '--certificate-identity',
          IDENTITY,
          '--certificate-oidc-issuer',
          ISSUER,
          '--trusted-root',
          root,
          artifact,
        ],
        ok.io,
      ),
    ).toBe(0)
    expect(ok.out.stdout).toContain(IDENTITY)
    const digest = `sha256:${createHash('sha256').update(fixture.artifact).digest('hex')}` as const
    expect(
      await runVerifyBundle(
        [
          '--bundle',
          bundle,
          '--certificate-identity',
          IDENTITY,
          '--certificate-oidc-issuer',
          ISSUER,
          '--trusted-root',
          root,
          digest,
        ],
        capture().io,
      ),
    ).toBe(0)
    const bad = capture()
    expect(
      await runVerifyBundle(['--bundle', bundle, '--key', key, '--trusted-root', root, artifact], bad.io),
    ).toBe(1)
    expect(bad.out.stderr).toContain('VERIFIER_KEY_MISMATCH')
    const keyBundle = join(dir, 'key-bundle.json')
    writeFileSync(keyBundle, JSON.stringify(fixture.keyBundle))
    expect(
      await runVerifyBundle(
        ['--bundle', keyBundle, '--key', key, '--trusted-root', root, artifact],
        capture().io,
      ),
    ).toBe(0)
  })

  it('--staging without a trusted root needs the staging TUF repository (offline here): exit 1, typed reason', async () => {
    const bundle = join(dir, 'staging-bundle.json')
    writeFileSync(bundle, JSON.stringify(fixture.bundle))
    const { io, out } = capture()
    const argv = [
      '--staging',
      '--bundle',
      bundle,
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      join(dir, 'artifact.txt'),
    ]
    expect(await runVerifyBundle(argv, io)).toBe(1)
    expect(out.stderr).toContain('VERIFIER_TRUST_ROOT_UNAVAILABLE')
  })

  it('exits 2 on usage errors', async () => {
    for (const argv of [
      [],
      ['--bundle', 'b.json', 'file'],
      ['--bundle', 'b', '--key', 'k', '--certificate-identity', 'i', '--certificate-oidc-issuer', 'u', 'f'],
      ['--bundle'],
    ]) {
      const { io, out } = capture()
      expect(await runVerifyBundle(argv, io)).toBe(2)
      expect(out.stderr).toContain('usage:')
    }
  })

  it('exits 2 naming the problem on bad flags (unknown, missing value, value on a switch, extra operand)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--bundle', 'b', '--key', 'k', '--bogus', 'f'], /Unknown option '--bogus'/],
      [['--bundle', 'b', '--key', 'k', '-x', 'f'], /Unknown option '-x'/],
      [['--bundle', 'b', '--key'], /--key <value>' argument missing/],
      [['--staging=yes', '--bundle', 'b', '--key', 'k', 'f'], /--staging' does not take an argument/],
      [['--bundle', 'b', '--key', 'k', 'f', 'g'], /only one FILE_OR_DIGEST/],
      [['--key', 'k', 'f'], /--bundle is required/],
      [['--bundle', 'b', '--key', 'k'], /FILE_OR_DIGEST is required/],
    ]
    for (const [argv, message] of cases) {
      const { io, out } = capture()
      expect(await runVerifyBundle(argv, io), argv.join(' ')).toBe(2)
      expect(out.stderr).toMatch(message)
      expect(out.stderr).toContain('usage:')
      expect(out.stdout).toBe('')
    }
  })

  it('accepts --flag=value and a `--` before the operand', async () => {
    const bundle = join(dir, 'eq-bundle.json')
    const root = join(dir, 'eq-root.json')
    const key = join(dir, 'eq-key.pem')
    const artifact = join(dir, 'eq-artifact.txt')
    writeFileSync(bundle, JSON.stringify(fixture.keyBundle))
    writeFileSync(root, JSON.stringify(fixture.trustedRoot))
    writeFileSync(key, fixture.keyPem)
    writeFileSync(artifact, fixture.artifact)
    const { io, out } = capture()
    const argv = [
      'verify-bundle',
      `--bundle=${bundle}`,
      `--key=${key}`,
      `--trusted-root=${root}`,
      '--',
      artifact,
    ]
    expect(await runVerifyBundle(argv, io), out.stderr).toBe(0)
    expect(out.stdout).toMatch(/^OK: /)
  })
})

warnSkipped('verifier library on public-good conformance bundles')
describe.skipIf(!ASSETS)('public-good bundles through the library (embedded root, offline)', () => {
  it('Rekor v2 + RFC 3161: a repeated token does not count twice, and the threshold is enforced', async () => {
    const dir = join(ASSETS!, 'rekor2-happy-path')
    const bundle = JSON.parse(readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8'))
    const rootJson = readFileSync(join(dir, 'trusted_root.json'), 'utf8')
    const artifact = readFileSync(join(ASSETS!, 'a.txt'))
    const expected = { identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER }
    const v2 = createVerifier({ trustedRoot: rootJson })
    const result = await v2.verify(bundle, artifact, expected)
    expect(result.timestamps.map((item) => item.kind)).toEqual(['timestamp-authority'])
    expect(result.tlogEntries[0]!.verifiedBy).toEqual(['inclusion-proof'])
    await expect(
      createVerifier({ trustedRoot: rootJson, timestampThreshold: 2 }).verify(bundle, artifact, expected),
    ).rejects.toMatchObject({
      code: 'VERIFIER_TIMESTAMP_INVALID',
    })
    const tokens = bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps
    tokens.push(tokens[0])
    await expect(v2.verify(bundle, artifact, expected)).rejects.toMatchObject({
      code: 'VERIFIER_MALFORMED_BUNDLE',
    })
  })

  it('happy-path-v0.3 with the artifact as bytes and as a digest; result names the public-good log', async () => {
    const bundle = readFileSync(join(ASSETS!, 'happy-path-v0.3', 'bundle.sigstore.json'), 'utf8')
    const artifact = readFileSync(join(ASSETS!, 'a.txt'))
    const expected = { identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER }
    const result = await verify(bundle, artifact, expected)
    expect(result.tlogEntries[0]!.baseUrl).toBe('https://rekor.sigstore.dev')
    expect(result.signer).toMatchObject({
      kind: 'certificate',
      identity: DEFAULT_IDENTITY,
      issuer: DEFAULT_ISSUER,
    })
    const digest = `sha256:${createHash('sha256').update(artifact).digest('hex')}` as const
    await expect(verify(bundle, digest, expected)).resolves.toMatchObject({ artifact: { sha256: digest } })
  })
})
