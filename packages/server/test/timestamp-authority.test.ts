import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { join } from 'node:path'
import { createTimestampAuthority } from '@certus-trust/tlog'
import { createVerifier, VerifierError } from '@certus-trust/verifier'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SIGNER_KEY, startTestServer, VERIFIER_KEY } from './helpers.js'

let context: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  context = await startTestServer('memory')
})

afterAll(async () => {
  await context?.cleanup()
})

async function timestamp(signature: Uint8Array, key = SIGNER_KEY): Promise<Response> {
  return fetch(`${context.server.url}/api/v1/timestamp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      artifactHash: createHash('sha256').update(signature).digest('base64'),
      hashAlgorithm: 'sha256',
    }),
  })
}

/** A key-signed v0.3 bundle without log entries, timestamped only by the embedded TSA. */
function bundleOf(artifact: Buffer, signature: Uint8Array, token: Uint8Array) {
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: 'test-key' },
      tlogEntries: [],
      timestampVerificationData: {
        rfc3161Timestamps: [{ signedTimestamp: Buffer.from(token).toString('base64') }],
      },
    },
    messageSignature: {
      messageDigest: {
        algorithm: 'SHA2_256',
        digest: createHash('sha256').update(artifact).digest('base64'),
      },
      signature: Buffer.from(signature).toString('base64'),
    },
  }
}

describe('embedded timestamp authority on the server', () => {
  it('timestamps for signers only, and the existing verifier path accepts the token', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const artifact = Buffer.from('release artifact')
    const signature = sign('sha256', artifact, privateKey)
    expect((await timestamp(signature, VERIFIER_KEY)).status).toBe(403)
    const response = await timestamp(signature)
    expect(response.status).toBe(201)
    const token = new Uint8Array(await response.arrayBuffer())

    // The server keeps its TSA material in the data directory; the same CA is what a verifier trusts.
    const tsa = await createTimestampAuthority({ material: { path: join(context.dataDir, 'tsa.json') } })
    const chain = await (
      await fetch(`${context.server.url}/api/v1/timestamp/certchain`, {
        headers: { authorization: `Bearer ${VERIFIER_KEY}` },
      })
    ).text()
    expect(chain).toBe(tsa.certificateChainPem())
    const trustedRoot = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [tsa.trustedRootEntry(`${context.server.url}/api/v1/timestamp`)],
    }
    const verifier = createVerifier({ trustedRoot, tlogThreshold: 0, timestampThreshold: 1 })
    const policy = { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
    const result = await verifier.verify(bundleOf(artifact, signature, token), artifact, policy)
    expect(result.timestamps.map((time) => time.kind)).toEqual(['timestamp-authority'])
    expect(Math.abs(result.signedAt.getTime() - Date.now())).toBeLessThan(60_000)

    // A token over another signature does not count, and neither does one from a TSA the root does not name.
    const otherSignature = sign('sha256', Buffer.from('other'), privateKey)
    const otherToken = new Uint8Array(await (await timestamp(otherSignature)).arrayBuffer())
    const mismatched = await verifier
      .verify(bundleOf(artifact, signature, otherToken), artifact, policy)
      .catch((error: unknown) => error)
    expect(VerifierError.is(mismatched)).toBe(true)
    const untrusted = await createVerifier({
      trustedRoot: { ...trustedRoot, timestampAuthorities: [] },
      tlogThreshold: 0,
    })
      .verify(bundleOf(artifact, signature, token), artifact, policy)
      .catch((error: unknown) => error)
    expect(VerifierError.is(untrusted)).toBe(true)
  })

  it('answers bad timestamp requests with 4xx JSON', async () => {
    const response = await fetch(`${context.server.url}/api/v1/timestamp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SIGNER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ artifactHash: 'AAAA', hashAlgorithm: 'md5' }),
    })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { message: string }).message).toMatch(/unsupported hash algorithm/)
  })
})
