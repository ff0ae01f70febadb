import { generateKeyPairSync } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, type VerifierErrorCode } from '../src/index.js'
import { buildFixture, type Fixture, IDENTITY, ISSUER } from './helpers/fixture.js'

type Json = Record<string, any>
const clone = <T>(value: T): T => structuredClone(value)
const flipBase64 = (value: string, index = -5) => {
  const bytes = Buffer.from(value, 'base64')
  const at = index < 0 ? bytes.length + index : index
  bytes[at] = bytes[at]! ^ 0x01
  return bytes.toString('base64')
}
const entry = (bundle: Json) => bundle.verificationMaterial.tlogEntries[0]
const policy = { identity: IDENTITY, issuer: ISSUER }

let fixture: Fixture
beforeAll(() => {
  fixture = buildFixture()
})

async function expectCode(
  bundle: unknown,
  code: VerifierErrorCode,
  options: { root?: Json; artifact?: Buffer; policy?: any } = {},
) {
  // createVerifier throws synchronously for a malformed root; the async wrapper folds both into one promise.
  const promise = (async () =>
    createVerifier({ trustedRoot: options.root ?? fixture.trustedRoot }).verify(
      bundle,
      options.artifact ?? fixture.artifact,
      options.policy ?? policy,
    ))()
  await expect(promise).rejects.toMatchObject({ name: 'VerifierError', code })
}

describe('the untampered fixtures verify (so every rejection below is caused by its one change)', () => {
  it('keyless, DSSE and managed-key bundles verify', async () => {
    const verifier = createVerifier({ trustedRoot: fixture.trustedRoot })
    await expect(verifier.verify(fixture.bundle, fixture.artifact, policy)).resolves.toMatchObject({
      signer: { identity: IDENTITY },
    })
    await expect(verifier.verify(fixture.dsseBundle, fixture.artifact, policy)).resolves.toMatchObject({
      contentType: 'dsse',
    })
    await expect(
      verifier.verify(fixture.keyBundle, fixture.artifact, { publicKey: fixture.keyPem }),
    ).resolves.toMatchObject({
      signer: { kind: 'publicKey' },
    })
  })
})

const bundleTampering: Array<[string, (bundle: Json) => void, VerifierErrorCode]> = [
  [
    'message signature',
    (b) => (b.messageSignature.signature = flipBase64(b.messageSignature.signature)),
    'VERIFIER_SIGNATURE_MISMATCH',
  ],
  [
    'message digest',
    (b) => (b.messageSignature.messageDigest.digest = flipBase64(b.messageSignature.messageDigest.digest)),
    'VERIFIER_ARTIFACT_MISMATCH',
  ],
  [
    'signature not base64',
    (b) => (b.messageSignature.signature = 'not*base64!'),
    'VERIFIER_MALFORMED_BUNDLE',
  ],
  [
    'certificate signature bytes',
    (b) =>
      (b.verificationMaterial.certificate.rawBytes = flipBase64(b.verificationMaterial.certificate.rawBytes)),
    'VERIFIER_UNTRUSTED_CHAIN',
  ],
  [
    'certificate truncated',
    (b) =>
      (b.verificationMaterial.certificate.rawBytes = b.verificationMaterial.certificate.rawBytes.slice(
        0,
        40,
      )),
    'VERIFIER_MALFORMED_BUNDLE',
  ],
  ['certificate removed', (b) => delete b.verificationMaterial.certificate, 'VERIFIER_MALFORMED_BUNDLE'],
  [
    'media type',
    (b) => (b.mediaType = 'application/vnd.dev.sigstore.bundle.v9.9+json'),
    'VERIFIER_UNSUPPORTED_BUNDLE',
  ],
  [
    'v0.3 with a certificate chain',
    (b) =>
      (b.verificationMaterial.x509CertificateChain = { certificates: [b.verificationMaterial.certificate] }),
    'VERIFIER_MALFORMED_BUNDLE',
  ],
  ['entry log index', (b) => (entry(b).logIndex = '1004'), 'VERIFIER_SET_INVALID'],
  ['entry negative log index', (b) => (entry(b).logIndex = '-1'), 'VERIFIER_MALFORMED_BUNDLE'],
  [
    'entry integrated time',
    (b) => (entry(b).integratedTime = String(Number(entry(b).integratedTime) + 1)),
    'VERIFIER_SET_INVALID',
  ],
  [
    'entry log ID',
    (b) => (entry(b).logId.keyId = Buffer.alloc(32, 7).toString('base64')),
    'VERIFIER_UNTRUSTED_LOG',
  ],
  [
    'entry body',
    (b) => (entry(b).canonicalizedBody = flipBase64(entry(b).canonicalizedBody, 20)),
    'VERIFIER_SET_INVALID',
  ],
  [
    'signed entry timestamp',
    (b) =>
      (entry(b).inclusionPromise.signedEntryTimestamp = flipBase64(
        entry(b).inclusionPromise.signedEntryTimestamp,
      )),
    'VERIFIER_SET_INVALID',
  ],
  [
    'inclusion promise removed (no timestamp left)',
    (b) => delete entry(b).inclusionPromise,
    'VERIFIER_TIMESTAMP_INVALID',
  ],
  ['inclusion proof removed', (b) => delete entry(b).inclusionProof, 'VERIFIER_MALFORMED_BUNDLE'],
  [
    'proof hash',
    (b) => (entry(b).inclusionProof.hashes[1] = flipBase64(entry(b).inclusionProof.hashes[1], 3)),
    'VERIFIER_INCLUSION_PROOF_INVALID',
  ],
  ['proof hash dropped', (b) => entry(b).inclusionProof.hashes.pop(), 'VERIFIER_INCLUSION_PROOF_INVALID'],
  ['proof leaf index', (b) => (entry(b).inclusionProof.logIndex = '4'), 'VERIFIER_INCLUSION_PROOF_INVALID'],
  [
    'proof root hash',
    (b) => (entry(b).inclusionProof.rootHash = flipBase64(entry(b).inclusionProof.rootHash, 0)),
    'VERIFIER_INCLUSION_PROOF_INVALID',
  ],
  ['proof tree size', (b) => (entry(b).inclusionProof.treeSize = '8'), 'VERIFIER_INCLUSION_PROOF_INVALID'],
  [
    'checkpoint signature',
    (b) => {
      const envelope: string = entry(b).inclusionProof.checkpoint.envelope
      const [note, line] = envelope.split('\n\n')
      const [prefix, name, sig] = line!.trim().split(' ')
      entry(b).inclusionProof.checkpoint.envelope = `${note}\n\n${prefix} ${name} ${flipBase64(sig!)}\n`
    },
    'VERIFIER_CHECKPOINT_SIGNATURE_INVALID',
  ],
  [
    'checkpoint key hint',
    (b) => {
      const envelope: string = entry(b).inclusionProof.checkpoint.envelope
      const [note, line] = envelope.split('\n\n')
      const [prefix, name, sig] = line!.trim().split(' ')
      entry(b).inclusionProof.checkpoint.envelope = `${note}\n\n${prefix} ${name} ${flipBase64(sig!, 0)}\n`
    },
    'VERIFIER_CHECKPOINT_SIGNATURE_INVALID',
  ],
  [
    'checkpoint signer name',
    (b) =>
      (entry(b).inclusionProof.checkpoint.envelope = entry(b).inclusionProof.checkpoint.envelope.replace(
        '\u2014 rekor.local.test',
        '\u2014 rekor.evil.test',
      )),
    'VERIFIER_CHECKPOINT_SIGNATURE_INVALID',
  ],
  [
    'checkpoint tree size line',
    (b) =>
      (entry(b).inclusionProof.checkpoint.envelope = entry(b).inclusionProof.checkpoint.envelope.replace(
        '\n7\n',
        '\n8\n',
      )),
    'VERIFIER_CHECKPOINT_SIGNATURE_INVALID',
  ],
  [
    'checkpoint without trailing newline',
    (b) =>
      (entry(b).inclusionProof.checkpoint.envelope = entry(b).inclusionProof.checkpoint.envelope.trimEnd()),
    'VERIFIER_CHECKPOINT_SIGNATURE_INVALID',
  ],
  ['kindVersion kind', (b) => (entry(b).kindVersion.kind = 'intoto'), 'VERIFIER_TLOG_BODY_MISMATCH'],
  ['kindVersion version', (b) => (entry(b).kindVersion.version = '0.0.2'), 'VERIFIER_TLOG_BODY_MISMATCH'],
  ['no log entries', (b) => (b.verificationMaterial.tlogEntries = []), 'VERIFIER_TLOG_ENTRY_MISSING'],
  [
    'duplicate log entry',
    (b) => b.verificationMaterial.tlogEntries.push(clone(entry(b))),
    'VERIFIER_MALFORMED_BUNDLE',
  ],
  [
    '33 log entries (over the limit)',
    (b) => (b.verificationMaterial.tlogEntries = Array.from({ length: 33 }, () => clone(entry(b)))),
    'VERIFIER_MALFORMED_BUNDLE',
  ],
  [
    '65 checkpoint signature lines (over the limit)',
    (b) => {
      const envelope: string = entry(b).inclusionProof.checkpoint.envelope
      entry(b).inclusionProof.checkpoint.envelope = envelope + '\u2014 witness.test AAAAAAAAAAAA\n'.repeat(64)
    },
    'VERIFIER_CHECKPOINT_SIGNATURE_INVALID',
  ],
  [
    'both content kinds',
    (b) => (b.dsseEnvelope = { payload: '', payloadType: 'x', signatures: [] }),
    'VERIFIER_MALFORMED_BUNDLE',
  ],
]

describe('tampering with a keyless bundle fails with the code of the broken check', () => {
  it.each(bundleTampering)('%s', async (_name, mutate, code) => {
    const bundle = clone(fixture.bundle) as Json
    mutate(bundle)
    await expectCode(bundle, code)
  })

  it('a different artifact', async () => {
    await expectCode(fixture.bundle, 'VERIFIER_ARTIFACT_MISMATCH', {
      artifact: Buffer.from('something else'),
    })
  })

  it('a body logged for another signature (entry swapped in from the DSSE bundle, re-signed by the log)', async () => {
    const bundle = clone(fixture.bundle) as Json
    // The key bundle's entry is validly signed by the log but describes another signature and key.
    bundle.verificationMaterial.tlogEntries = [clone(entry(fixture.keyBundle as Json))]
    await expectCode(bundle, 'VERIFIER_TLOG_BODY_MISMATCH')
  })
})

describe('tampering with the trust root fails', () => {
  const rootTampering: Array<[string, (root: Json) => void, VerifierErrorCode]> = [
    ['CA removed', (r) => (r.certificateAuthorities = []), 'VERIFIER_UNTRUSTED_CHAIN'],
    [
      'CA valid only later',
      (r) =>
        (r.certificateAuthorities[0].validFor = { start: new Date(Date.now() + 86_400_000).toISOString() }),
      'VERIFIER_UNTRUSTED_CHAIN',
    ],
    [
      'CA chain without its root link (listed root-first)',
      (r) => r.certificateAuthorities[0].certChain.certificates.reverse(),
      'VERIFIER_MALFORMED_TRUSTED_ROOT',
    ],
    ['CT log removed', (r) => (r.ctlogs = []), 'VERIFIER_SCT_INVALID'],
    [
      'CT log key replaced',
      (r) => {
        const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
          type: 'spki',
          format: 'der',
        })
        r.ctlogs[0].publicKey.rawBytes = other.toString('base64')
      },
      'VERIFIER_SCT_INVALID',
    ],
    [
      'CT log valid only before the SCT',
      (r) =>
        (r.ctlogs[0].publicKey.validFor = { start: '2020-01-01T00:00:00Z', end: '2020-02-01T00:00:00Z' }),
      'VERIFIER_SCT_INVALID',
    ],
    ['log removed', (r) => (r.tlogs = []), 'VERIFIER_UNTRUSTED_LOG'],
    [
      'log key valid only after the entry',
      (r) => (r.tlogs[0].publicKey.validFor = { start: new Date(Date.now() + 60_000).toISOString() }),
      'VERIFIER_SET_INVALID',
    ],
    [
      'log base URL not naming the checkpoint signer',
      (r) => (r.tlogs[0].baseUrl = 'https://elsewhere.test'),
      'VERIFIER_CHECKPOINT_SIGNATURE_INVALID',
    ],
    [
      'log validity without start',
      (r) => (r.tlogs[0].publicKey.validFor = {}),
      'VERIFIER_MALFORMED_TRUSTED_ROOT',
    ],
    [
      'log key not a key',
      (r) => (r.tlogs[0].publicKey.rawBytes = Buffer.from('nope').toString('base64')),
      'VERIFIER_MALFORMED_TRUSTED_ROOT',
    ],
  ]
  it.each(rootTampering)('%s', async (_name, mutate, code) => {
    const root = clone(fixture.trustedRoot) as Json
    mutate(root)
    await expectCode(fixture.bundle, code, { root })
  })
})

describe('tampering with DSSE and managed-key bundles fails', () => {
  it('DSSE payload changed', async () => {
    const bundle = clone(fixture.dsseBundle) as Json
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString())
    statement.predicateType = 'https://evil.test'
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64')
    await expectCode(bundle, 'VERIFIER_SIGNATURE_MISMATCH')
  })
  it('DSSE signature changed', async () => {
    const bundle = clone(fixture.dsseBundle) as Json
    bundle.dsseEnvelope.signatures[0].sig = flipBase64(bundle.dsseEnvelope.signatures[0].sig)
    await expectCode(bundle, 'VERIFIER_SIGNATURE_MISMATCH')
  })
  it('DSSE with two signatures', async () => {
    const bundle = clone(fixture.dsseBundle) as Json
    bundle.dsseEnvelope.signatures.push(bundle.dsseEnvelope.signatures[0])
    await expectCode(bundle, 'VERIFIER_MALFORMED_BUNDLE')
  })
  it('DSSE artifact not a subject', async () => {
    await expectCode(fixture.dsseBundle, 'VERIFIER_ARTIFACT_MISMATCH', { artifact: Buffer.from('other') })
  })
  it('managed key: another key', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string
    await expectCode(fixture.keyBundle, 'VERIFIER_SIGNATURE_MISMATCH', { policy: { publicKey: other } })
  })
  it('managed key: bundle verified with an identity policy', async () => {
    await expectCode(fixture.keyBundle, 'VERIFIER_KEY_MISMATCH')
  })
  it('keyless bundle verified with a key policy', async () => {
    await expectCode(fixture.bundle, 'VERIFIER_KEY_MISMATCH', { policy: { publicKey: fixture.keyPem } })
  })
  it('managed key: key not valid at the signing time', async () => {
    await expectCode(fixture.keyBundle, 'VERIFIER_KEY_MISMATCH', {
      policy: { publicKey: fixture.keyPem, validFor: { start: new Date(Date.now() + 60_000) } },
    })
  })
})

// Regression (issue 15 item 5, found by test/differential-mutations.test.ts): a message signature without its
// messageDigest used to verify (the log entry's digest was checked instead); sigstore-js refuses such a bundle.
describe('a message-signature bundle must carry a non-empty messageDigest', () => {
  const cases: Array<[string, (digest: Json, message: Json) => void, string]> = [
    [
      'missing',
      (_digest, message) => delete message.messageDigest,
      'messageSignature.messageDigest is missing',
    ],
    [
      'null',
      (_digest, message) => (message.messageDigest = null),
      'messageSignature.messageDigest is missing',
    ],
    [
      'with an empty digest',
      (digest) => (digest.digest = ''),
      'messageSignature.messageDigest.digest is empty',
    ],
    ['without digest bytes', (digest) => delete digest.digest, 'messageSignature.messageDigest.digest'],
  ]
  it.each(cases)(
    'messageDigest %s: VERIFIER_MALFORMED_BUNDLE naming the field',
    async (_name, mutate, message) => {
      for (const [bundle, policy] of [
        [fixture.bundle, undefined],
        [fixture.keyBundle, { publicKey: fixture.keyPem }],
      ] as const) {
        const copy = clone(bundle) as Json
        mutate(copy.messageSignature.messageDigest, copy.messageSignature)
        const promise = createVerifier({ trustedRoot: fixture.trustedRoot }).verify(
          copy,
          fixture.artifact,
          policy ?? { identity: IDENTITY, issuer: ISSUER },
        )
        await expect(promise).rejects.toMatchObject({
          name: 'VerifierError',
          code: 'VERIFIER_MALFORMED_BUNDLE',
          message: expect.stringContaining(message),
        })
      }
    },
  )
})
