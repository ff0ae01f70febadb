import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'
import {
  buildDsseProposedEntry,
  buildHashedRekordProposedEntry,
  type ProposedEntry,
} from '@certus-trust/log-protocol/entries'

// Test entry builders with no vitest import, so child processes can use them too.

/** A signer key for test entries. */
export interface TestSigner {
  privateKey: KeyObject
  publicKeyPem: string
}

export function p256Signer(): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

export function ed25519Signer(): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

export function rsaSigner(): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

/** A hashedrekord entry over a random (or given) artifact, signed with SHA-256 (ECDSA/RSA) or pure Ed25519. */
export function hashedRekordEntry(signer: TestSigner = p256Signer(), artifact: Uint8Array = randomBytes(64)) {
  const digest = createHash('sha256').update(artifact).digest('hex')
  const pure = signer.privateKey.asymmetricKeyType === 'ed25519'
  const signature = new Uint8Array(sign(pure ? null : 'sha256', artifact, signer.privateKey))
  const proposed = buildHashedRekordProposedEntry({
    digest: `sha256:${digest}`,
    signature,
    publicKeyPem: signer.publicKeyPem,
  })
  return { proposed, artifact, digest, signature, signer }
}

/** A dsse entry with an in-toto statement naming `subjectDigest`. */
export function dsseEntry(
  signer: TestSigner = p256Signer(),
  subjectDigest = randomBytes(32).toString('hex'),
) {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'artifact.bin', digest: { sha256: subjectDigest } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: { nonce: randomBytes(8).toString('hex') },
  }
  const payload = Buffer.from(JSON.stringify(statement))
  const payloadType = 'application/vnd.in-toto+json'
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `),
    payload,
  ])
  const sig = sign(
    signer.privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256',
    pae,
    signer.privateKey,
  )
  const envelope = JSON.stringify({
    payloadType,
    payload: payload.toString('base64'),
    signatures: [{ keyid: '', sig: sig.toString('base64') }],
  })
  const proposed: ProposedEntry = buildDsseProposedEntry({ envelope, verifiers: [signer.publicKeyPem] })
  return { proposed, envelope, subjectDigest, signer }
}
