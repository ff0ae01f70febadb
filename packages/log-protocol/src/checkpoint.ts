import { createHash, type KeyObject } from 'node:crypto'
import { bytesEqual, fromBase64, fromHex, toBase64, utf8 } from '@certus-trust/core'
import { fail, RekorError } from './errors.js'
import {
  logIdFromPublicKey,
  type PublicKeyInput,
  signLogData,
  toPublicKey,
  verifyLogSignature,
} from './keys.js'

/** One signature line of a signed note: `— <name> <base64(keyHint ‖ signature)>`. */
export interface CheckpointSignature {
  name: string
  /** First 4 bytes of the decoded signature line (v1: SHA-256(DER SPKI)[0:4]). */
  keyHint: Uint8Array
  signature: Uint8Array
}

/** A parsed Rekor checkpoint (signed note). */
export interface Checkpoint {
  /** First line, e.g. `rekor.sigstore.dev - 1193050959916656506`. */
  origin: string
  treeSize: bigint
  rootHash: Uint8Array
  /** Extra body lines (e.g. the old `Timestamp: <ns>` line), without their newlines. */
  otherContent: string[]
  signatures: CheckpointSignature[]
  /** The exact signed text: every body line, each with its trailing newline. */
  signedText: string
}

/** Input of {@link signCheckpoint}. */
export interface CheckpointContent {
  origin: string
  treeSize: number | bigint
  rootHash: Uint8Array
  otherContent?: string[]
}

const EM_DASH = '\u2014'
const SIGNATURE_LINE = /^\u2014 (\S+) (\S+)$/
const DECIMAL = /^(?:0|[1-9][0-9]*)$/

function invalid(message: string): never {
  return fail('REKOR_CHECKPOINT_INVALID', `checkpoint is malformed: ${message}`)
}

/**
 * Parses a Rekor v1 checkpoint (a signed note). Signatures are decoded, not verified.
 * @throws RekorError `REKOR_CHECKPOINT_INVALID`.
 */
export function parseCheckpoint(note: string): Checkpoint {
  if (typeof note !== 'string') invalid('expected a string')
  const separator = note.indexOf('\n\n')
  if (separator < 0) invalid('no blank line between the body and the signatures')
  const signedText = note.slice(0, separator + 1)
  const signatureText = note.slice(separator + 2)
  const lines = signedText.slice(0, -1).split('\n')
  if (lines.length < 3) invalid('the body needs an origin, a tree size and a root hash')
  const [origin, sizeText, rootText, ...otherContent] = lines as [string, string, string, ...string[]]
  if (origin.length === 0) invalid('empty origin line')
  if (!DECIMAL.test(sizeText)) invalid('tree size is not a decimal number')
  const rootHash = fromBase64(rootText)
  if (rootHash?.length !== 32) invalid('root hash is not 32 bytes of base64')
  if (!signatureText.endsWith('\n')) invalid('every signature line must end with a newline')
  const signatures: CheckpointSignature[] = []
  for (const line of signatureText.slice(0, -1).split('\n')) {
    const match = SIGNATURE_LINE.exec(line)
    if (!match) invalid('a signature line does not look like "— <name> <base64>"')
    const decoded = fromBase64(match[2]!)
    if (!decoded || decoded.length < 5) invalid('a signature is not base64 of a key hint plus a signature')
    signatures.push({ name: match[1]!, keyHint: decoded.slice(0, 4), signature: decoded.slice(4) })
  }
  if (signatures.length === 0) invalid('no signatures')
  return { origin, treeSize: BigInt(sizeText), rootHash, otherContent, signatures, signedText }
}

/** Rekor v1 key hint: the first 4 bytes of SHA-256(DER SPKI), for every key type. */
export function checkpointKeyHint(publicKey: PublicKeyInput): Uint8Array {
  // Same bytes as logID[0:4]; going through the (memoised) log ID avoids re-exporting the key.
  return fromHex(logIdFromPublicKey(publicKey).slice(0, 8))!
}

/**
 * The C2SP signed-note key ID (the full 32-byte hash; its first 4 bytes are the key hint) for a key under `name`,
 * for the key types whose ID commits to the name: Ed25519 = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ raw key) and RSA =
 * SHA-256(name ‖ 0x0A ‖ 0xFF ‖ "PKIX-RSA-PKCS#1v1.5" ‖ SPKI). Returns undefined for ECDSA, whose Rekor v2 key
 * ID is SHA-256(SPKI) (the v1 log ID) and so says nothing about a name.
 * @throws RekorError `REKOR_KEY_INVALID` for an unusable key.
 */
export function namedNoteKeyId(name: string, publicKey: PublicKeyInput): Uint8Array | undefined {
  const key = toPublicKey(publicKey)
  let typed: Buffer
  if (key.asymmetricKeyType === 'ed25519') {
    typed = Buffer.concat([Buffer.of(0x01), Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url')])
  } else if (key.asymmetricKeyType === 'rsa') {
    typed = Buffer.concat([
      Buffer.of(0xff),
      Buffer.from('PKIX-RSA-PKCS#1v1.5'),
      key.export({ type: 'spki', format: 'der' }),
    ])
  } else {
    return undefined
  }
  return new Uint8Array(
    createHash('sha256')
      .update(Buffer.concat([Buffer.from(`${name}\n`), typed]))
      .digest(),
  )
}

/**
 * The full 32-byte C2SP signed-note key ID of a log key under `name` (the checkpoint origin for Rekor v2):
 * {@link namedNoteKeyId} for Ed25519 and RSA, SHA-256(DER SPKI) for ECDSA. Its first 4 bytes are the key hint;
 * Rekor v2 puts the whole ID in `logId.keyId` and trusted roots carry it as `checkpointKeyId`.
 * @throws RekorError `REKOR_KEY_INVALID`.
 */
export function noteKeyId(name: string, publicKey: PublicKeyInput): Uint8Array {
  return namedNoteKeyId(name, publicKey) ?? fromHex(logIdFromPublicKey(publicKey))!
}

/**
 * Builds and signs a checkpoint. Returns the full note text, ending with a newline. The key hint defaults to the
 * Rekor v1 one; pass `keyHint` = `noteKeyId(name, key).slice(0, 4)` for a C2SP (Rekor v2) note.
 * @throws RekorError `REKOR_INVALID_INPUT` for a bad origin, size, root or extra line; `REKOR_KEY_INVALID`.
 */
export function signCheckpoint(
  content: CheckpointContent,
  signer: {
    name: string
    privateKey: KeyObject
    keyHint?: Uint8Array
    /** Signs the note text in place of {@link signLogData} with `privateKey` (same key, same scheme). */
    sign?: (text: Uint8Array) => Uint8Array
  },
): string {
  const size =
    typeof content.treeSize === 'bigint'
      ? content.treeSize
      : Number.isSafeInteger(content.treeSize)
        ? BigInt(content.treeSize)
        : -1n
  if (size < 0n) fail('REKOR_INVALID_INPUT', 'checkpoint tree size must be a non-negative integer')
  if (!(content.rootHash instanceof Uint8Array) || content.rootHash.length !== 32) {
    fail('REKOR_INVALID_INPUT', 'checkpoint root hash must be 32 bytes')
  }
  const lines = [content.origin, ...(content.otherContent ?? [])]
  if (lines.some((line) => typeof line !== 'string' || line.includes('\n')) || content.origin.length === 0) {
    fail('REKOR_INVALID_INPUT', 'checkpoint origin and extra lines must be non-empty single lines')
  }
  if (content.otherContent?.some((line) => line.length === 0))
    fail('REKOR_INVALID_INPUT', 'checkpoint extra lines must not be empty')
  if (!/^\S+$/.test(signer.name)) fail('REKOR_INVALID_INPUT', 'checkpoint signer name must be one word')
  const signedText = [
    content.origin,
    size.toString(),
    toBase64(content.rootHash),
    ...(content.otherContent ?? []),
  ]
    .map((line) => `${line}\n`)
    .join('')
  const signature = (signer.sign ?? ((text) => signLogData(signer.privateKey, text)))(utf8(signedText))
  const hint = signer.keyHint ?? checkpointKeyHint(signer.privateKey)
  const line = `${EM_DASH} ${signer.name} ${toBase64(new Uint8Array([...hint, ...signature]))}\n`
  return `${signedText}\n${line}`
}

/**
 * Verifies a checkpoint's signature with a log key. A signature line counts when its key hint equals the key's
 * hint (and its name equals `name`, when given) and its signature verifies; one good line is enough.
 * `keyHint` overrides the Rekor v1 hint ({@link checkpointKeyHint}) for logs whose signed-note key ID is computed
 * differently (Rekor v2 / C2SP key IDs, taken from a trusted root's `checkpointKeyId`).
 * @returns the parsed checkpoint.
 * @throws RekorError `REKOR_CHECKPOINT_INVALID` (malformed) or `REKOR_CHECKPOINT_SIGNATURE_INVALID`.
 */
export function verifyCheckpoint(
  note: string | Checkpoint,
  key: { publicKey: PublicKeyInput; name?: string; keyHint?: Uint8Array },
): Checkpoint {
  const checkpoint = typeof note === 'string' ? parseCheckpoint(note) : note
  let publicKey: KeyObject
  try {
    publicKey = toPublicKey(key.publicKey)
  } catch (error) {
    throw new RekorError({
      code: 'REKOR_CHECKPOINT_SIGNATURE_INVALID',
      message: 'checkpoint key is unusable',
      cause: error,
    })
  }
  const hint = key.keyHint ?? checkpointKeyHint(publicKey)
  const data = utf8(checkpoint.signedText)
  const candidates = checkpoint.signatures.filter(
    (line) => bytesEqual(line.keyHint, hint) && (key.name === undefined || line.name === key.name),
  )
  if (candidates.length === 0) {
    fail(
      'REKOR_CHECKPOINT_SIGNATURE_INVALID',
      `no checkpoint signature carries this key's hint${key.name ? ` and name ${key.name}` : ''}`,
    )
  }
  if (!candidates.some((line) => verifyLogSignature(publicKey, data, line.signature))) {
    fail('REKOR_CHECKPOINT_SIGNATURE_INVALID', 'checkpoint signature does not verify with the log key')
  }
  return checkpoint
}
