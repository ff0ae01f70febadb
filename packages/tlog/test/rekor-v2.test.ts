import { createHash, generateKeyPairSync } from 'node:crypto'
import { createRequire } from 'node:module'
import { tilePath } from '@certus-trust/log-protocol'
import { createMemoryStorage } from '@certus-trust/storage'
import { bundleFromJSON } from '@sigstore/bundle'
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify'
import { describe, expect, it } from 'vitest'
import {
  createRekorV2Api,
  createTimestampAuthority,
  createTransparencyLog,
  generateLogKey,
} from '../src/index.js'
import { parseTilePath } from '../src/rekor-v2/tile-path.js'
import { hashedRekordRequest } from './entries-v2.js'
import { runRekorV2Suite } from './rekor-v2-suite.js'

runRekorV2Suite({ name: 'memory', create: async () => createMemoryStorage() })

describe('C2SP tile paths', () => {
  it('parses only the canonical encoding of the client’s encoder (x-prefixed groups of three digits, .p/W)', () => {
    expect(tilePath(1, 1234067n)).toBe('tile/1/x001/x234/067')
    expect(tilePath('entries', 1000n, 7)).toBe('tile/entries/x001/000.p/7')
    expect(parseTilePath('1/x001/x234/067')).toEqual({ level: 1, index: 1234067 })
    expect(parseTilePath('entries/x001/000.p/7')).toEqual({ level: 'entries', index: 1000, width: 7 })
    for (const bad of [
      '0/x000/001',
      '0/1234',
      '0/01',
      'a/000',
      '0/000.p/',
      '0/000.p/007',
      '0/000/x001',
      '0',
    ]) {
      expect(parseTilePath(bad), bad).toBeUndefined()
    }
  })
})

describe('Rekor v2 log options', () => {
  it('refuses an Ed25519 key: its C2SP key hint would differ from the v1 hint the note signer writes', async () => {
    await expect(
      createTransparencyLog({
        storage: createMemoryStorage(),
        apiVersion: 2,
        key: generateLogKey('ed25519').privateKey,
      }),
    ).rejects.toMatchObject({ code: 'TLOG_KEY_INVALID' })
  })
})

// @sigstore/protobuf-specs is @sigstore/verify's own dependency; load the very copy it uses.
const requireFromVerify = createRequire(createRequire(import.meta.url).resolve('@sigstore/verify'))
const specs = requireFromVerify('@sigstore/protobuf-specs') as {
  TrustedRoot: { fromJSON(json: unknown): never }
  PublicKey: { fromJSON(json: unknown): never }
}

describe('upstream @sigstore/verify accepts a Rekor v2 entry of this log with an embedded-TSA timestamp', () => {
  it('verifies the bundle and rejects a changed artifact', async () => {
    const log = await createTransparencyLog({
      storage: createMemoryStorage(),
      apiVersion: 2,
      baseUrl: 'http://127.0.0.1:8080',
    })
    const tsa = await createTimestampAuthority()
    const app = createRekorV2Api(log)
    const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    for (let index = 0; index < 5; index++) {
      await app.request('/api/v2/log/entries', {
        method: 'POST',
        body: JSON.stringify(hashedRekordRequest(signer.privateKey).request),
      })
    }
    const made = hashedRekordRequest(signer.privateKey)
    const response = await app.request('/api/v2/log/entries', {
      method: 'POST',
      body: JSON.stringify(made.request),
    })
    expect(response.status).toBe(201)
    const entry = await response.json()
    const token = tsa.timestamp({
      hashAlgorithm: 'sha256',
      hashedMessage: new Uint8Array(createHash('sha256').update(made.signature).digest()),
    })
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        publicKey: { hint: 'signer' },
        tlogEntries: [entry],
        timestampVerificationData: {
          rfc3161Timestamps: [{ signedTimestamp: Buffer.from(token).toString('base64') }],
        },
      },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: made.digest.toString('base64') },
        signature: made.signature.toString('base64'),
      },
    }
    const root = await log.exportTrustedRoot()
    root.timestampAuthorities = [tsa.trustedRootEntry('http://127.0.0.1:8080/api/v1/timestamp')]
    const signerKey = specs.PublicKey.fromJSON({
      rawBytes: signer.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start: '2000-01-01T00:00:00Z' },
    })
    const verifier = new Verifier(toTrustMaterial(specs.TrustedRoot.fromJSON(root), { signer: signerKey }))
    verifier.verify(toSignedEntity(bundleFromJSON(bundle), Buffer.from(made.artifact)))
    expect(() =>
      verifier.verify(toSignedEntity(bundleFromJSON(bundle), Buffer.from('a different artifact'))),
    ).toThrow()
    // Without the TSA timestamp there is no time at all: v2 entries carry no SET.
    const untimed = {
      ...bundle,
      verificationMaterial: {
        ...bundle.verificationMaterial,
        timestampVerificationData: { rfc3161Timestamps: [] },
      },
    }
    expect(() =>
      verifier.verify(toSignedEntity(bundleFromJSON(untimed), Buffer.from(made.artifact))),
    ).toThrow(/timestamp/)
    await log.close()
  })
})
