import { createHash, createPublicKey, type KeyObject, randomBytes, sign } from 'node:crypto'

// Rekor v2 CreateEntryRequest builders (protobuf-JSON), as rekor-tiles' clients send them.

/** The `verifier` of a request: a bare key (DER SPKI) or a certificate (DER). */
export function keyVerifier(privateKey: KeyObject, keyDetails = 'PKIX_ECDSA_P256_SHA_256') {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' })
  return { keyDetails, publicKey: { rawBytes: spki.toString('base64') } }
}

/** A hashedRekordRequestV002 over a random (or given) artifact, ECDSA/RSA with SHA-256. */
export function hashedRekordRequest(
  privateKey: KeyObject,
  options: { artifact?: Uint8Array; keyDetails?: string; verifier?: unknown } = {},
) {
  const artifact = options.artifact ?? randomBytes(48)
  const digest = createHash('sha256').update(artifact).digest()
  const signature = sign('sha256', artifact, privateKey)
  return {
    artifact,
    digest,
    signature,
    request: {
      hashedRekordRequestV002: {
        digest: digest.toString('base64'),
        signature: {
          content: signature.toString('base64'),
          verifier: options.verifier ?? keyVerifier(privateKey, options.keyDetails),
        },
      },
    },
  }
}

/** A dsseRequestV002 with one signature over the PAE of a small in-toto statement. */
export function dsseRequest(privateKey: KeyObject) {
  const payloadType = 'application/vnd.in-toto+json'
  const payload = Buffer.from(
    JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', n: randomBytes(8).toString('hex') }),
  )
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `),
    payload,
  ])
  const signature = sign('sha256', pae, privateKey)
  return {
    payload,
    pae,
    signature,
    request: {
      dsseRequestV002: {
        envelope: {
          payload: payload.toString('base64'),
          payloadType,
          signatures: [{ sig: signature.toString('base64'), keyid: '' }],
        },
        verifiers: [keyVerifier(privateKey)],
      },
    },
  }
}
