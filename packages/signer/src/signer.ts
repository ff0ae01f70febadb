import { createHash, createPublicKey, X509Certificate } from 'node:crypto'
import { type Logger, noopLogger, preAuthEncoding } from '@certus-trust/core'
import type { LogEntry } from '@certus-trust/log-protocol'
import {
  buildDsseProposedEntry,
  buildDsseRequestV002,
  buildHashedRekordProposedEntry,
  buildHashedRekordRequestV002,
  type OwnSignatures,
} from '@certus-trust/log-protocol/entries'
import type { SerializedBundle } from '@sigstore/bundle'
import { type ArtifactInput, abortError, type ResolvedArtifact, resolveArtifact } from './artifact.js'
import { witnessesFromSigningConfig } from './config-witnesses.js'
import { SignerError } from './errors.js'
import { createLocalKeyProvider, isLocalKeyProvider, type KeyProvider } from './key-provider.js'
import { checkKeylessOptions, type KeylessOptions, signKeyless } from './keyless.js'
import { describeKey, type KeyInfo, loadPublicKey, type PrivateKeyInput } from './keys.js'
import type { SigningConfig } from './signing-config.js'
import {
  checkStatement,
  createStatement,
  IN_TOTO_PAYLOAD_TYPE,
  type Statement,
  type Subject,
} from './statement.js'
import { createTimestampAuthorityWitness, type TimestampAuthorityOptions } from './timestamp-witness.js'
import {
  normalizeWitnesses,
  runWitnesses,
  type Witness,
  type WitnessOption,
  type WitnessResult,
} from './witness.js'

/** `mediaType` of the bundles we write (`@sigstore/bundle`'s `BUNDLE_V03_MEDIA_TYPE`). */
const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json'

/** The default limit for holding an artifact in memory (pure Ed25519 over a stream or file). */
export const DEFAULT_MAX_IN_MEMORY_BYTES = 256 * 1024 * 1024

/** Options of {@link createSigner}, {@link sign} and {@link attest}. Exactly one of `key` and `keyless`. */
export interface SignerOptions {
  /** A {@link KeyProvider} (KMS, HSM, local), or private key material: PEM (encrypted too), JWK or `KeyObject`. */
  key?: KeyProvider | PrivateKeyInput
  /** Passphrase of an encrypted PEM `key`. */
  passphrase?: string
  /** Keyless signing through Fulcio instead of `key`. */
  keyless?: KeylessOptions
  /**
   * Who records the signature: the embedded log (`TransparencyLog` from `@certus-trust/tlog`), a `RekorClient`, a
   * `@sigstore/sign` witness, a list of them, or `'none'` (asked for by name). Required unless `signingConfig` is
   * given (the two exclude each other).
   */
  witness?: WitnessOption
  /**
   * A Sigstore SigningConfig v0.2 (parsed with `loadSigningConfig`/`parseSigningConfig`, or its JSON) choosing the
   * Rekor logs (v1 or v2) and timestamp authorities, per its selectors and validity periods.
   */
  signingConfig?: SigningConfig | unknown
  /** With `signingConfig`: use only Rekor logs of this major version. @default the highest valid one listed */
  rekorVersion?: 1 | 2
  /** With `signingConfig`: a TrustedRoot (JSON) giving Rekor v2 log keys (see `witnessesFromSigningConfig`). */
  trustedRoot?: unknown
  /** Adds an RFC 3161 timestamp from this TSA (URL or options) to every bundle. */
  timestampAuthority?: string | TimestampAuthorityOptions
  /** Largest artifact held in memory when pure Ed25519 needs the whole stream or file. @default 268435456 (256 MiB) */
  maxInMemoryBytes?: number
  /** Receives debug events (never keys, tokens or artifact bytes). @default noopLogger */
  logger?: Logger
  /**
   * A ledger shared with an embedded log (`createTransparencyLog({ ownSignatures })`): the signer records every
   * digest signature it makes there and hands the ledger to the log with the entry, so the log need not check
   * again a signature this process has just made (its internal path; other callers' entries are always verified).
   */
  ownSignatures?: OwnSignatures
}

/** Per-call options. */
export interface SignCallOptions {
  signal?: AbortSignal
}

/** The result of one signing: the bundle and what went into it. */
export interface SignResult {
  /** Sigstore bundle v0.3 JSON (`application/vnd.dev.sigstore.bundle.v0.3+json`). */
  bundle: SerializedBundle
  /** `sha256:<hex>` of the artifact (message signature) or of the DSSE payload (attestation). */
  digest: string
  /** The raw transparency-log entries, as the logs returned them (empty for `'none'`). */
  logEntries: LogEntry[]
  /** PEM public key (key-based) — the bundle only carries its hint. */
  publicKeyPem?: string
  /** PEM leaf certificate (keyless). */
  certificatePem?: string
  /** The bundle's `publicKey.hint` (key-based). */
  keyHint?: string
}

/** What {@link Signer.attest} signs: a ready statement, or the parts of one. */
export type AttestInput =
  | Statement
  | { subjects: Subject[]; predicateType: string; predicate: object }
  | { artifact: ArtifactInput; name?: string; predicateType: string; predicate: object }

/** One artifact of a batch. */
export type BatchItem = ArtifactInput

/** Progress of a batch, reported after each item. */
export interface BatchProgress {
  completed: number
  failed: number
  total: number
  /** Index of the item that just finished. */
  index: number
  ok: boolean
}

/** Options of {@link Signer.signBatch}. */
export interface BatchOptions extends SignCallOptions {
  /** Items signed at once. @default 4 */
  concurrency?: number
  /** Called after each item, in completion order. */
  onProgress?: (progress: BatchProgress) => void
}

/** One batch outcome, at the item's input index. */
export type BatchResult =
  | { index: number; ok: true; result: SignResult }
  | { index: number; ok: false; error: SignerError }

/** A configured signer. */
export interface Signer {
  /** Signs an artifact (bytes, stream, path or `sha256:` digest) into a message-signature bundle. */
  sign(artifact: ArtifactInput, options?: SignCallOptions): Promise<SignResult>
  /** Signs an in-toto Statement v1 in a DSSE envelope. */
  attest(input: AttestInput, options?: SignCallOptions): Promise<SignResult>
  /** Signs many artifacts with bounded concurrency; never rejects for one item's failure. */
  signBatch(items: readonly BatchItem[], options?: BatchOptions): Promise<BatchResult[]>
  /** The PEM public key of a key-based signer (undefined for keyless). */
  publicKey(): Promise<string | undefined>
}

type KeyState = { provider: KeyProvider; info: KeyInfo; hint: string; local: boolean }

/**
 * Creates a signer from a key (or key provider) or keyless options and a witness.
 *
 * @example
 * const signer = createSigner({ key: pem, passphrase, witness: log })
 * const { bundle } = await signer.sign('dist/app.tgz')
 * @throws SignerError `SIGNER_INVALID_INPUT`, `SIGNER_WITNESS_REQUIRED`, and key codes (`SIGNER_WRONG_PASSPHRASE`, `SIGNER_WEAK_KEY`, …)
 */
export function createSigner(options: SignerOptions): Signer {
  if (typeof options !== 'object' || options === null) {
    throw new SignerError({ code: 'SIGNER_INVALID_INPUT', message: 'signer options must be an object' })
  }
  if ((options.key === undefined) === (options.keyless === undefined)) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'pass exactly one of key (key-based) and keyless (Fulcio)',
    })
  }
  const maxInMemoryBytes = options.maxInMemoryBytes ?? DEFAULT_MAX_IN_MEMORY_BYTES
  if (!Number.isSafeInteger(maxInMemoryBytes) || maxInMemoryBytes <= 0) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'maxInMemoryBytes must be a positive integer',
    })
  }
  const tsa =
    options.timestampAuthority === undefined
      ? []
      : [
          createTimestampAuthorityWitness(
            typeof options.timestampAuthority === 'string'
              ? { url: options.timestampAuthority }
              : options.timestampAuthority,
          ),
        ]
  const witnesses = normalizeWitnesses(configuredWitnesses(options), tsa)
  const logger = options.logger ?? noopLogger
  if (options.keyless) checkKeylessOptions(options.keyless)

  let keyState: Promise<KeyState> | undefined
  if (options.key !== undefined) {
    const key = options.key
    if (isLocalKeyProvider(key)) {
      keyState = Promise.resolve({
        provider: key,
        info: key.info,
        hint: key.keyHint ?? key.info.keyId,
        local: true,
      })
    } else if (isKeyProvider(key)) {
      keyState = describeProvider(key)
      keyState.catch(() => {}) // surfaced on first use
    } else {
      const local = createLocalKeyProvider(
        key,
        options.passphrase === undefined ? {} : { passphrase: options.passphrase },
      )
      keyState = Promise.resolve({
        provider: local,
        info: local.info,
        hint: local.keyHint ?? local.info.keyId,
        local: true,
      })
    }
  }

  const context: Context = {
    witnesses,
    logger,
    maxInMemoryBytes,
    keyless: options.keyless,
    keyState,
    ownSignatures: options.ownSignatures,
  }

  const signer: Signer = {
    sign: (artifact, callOptions = {}) => signArtifact(context, artifact, callOptions),
    attest: (input, callOptions = {}) => attestStatement(context, input, callOptions),
    signBatch: (items, batchOptions = {}) => signBatch(signer, items, batchOptions),
    publicKey: async () => (keyState ? (await keyState).info.publicKeyPem : undefined),
  }
  return signer
}

/**
 * One call: sign an artifact into a Sigstore bundle v0.3.
 *
 * @example
 * const { bundle } = await sign('dist/app.tgz', { key: process.env.SIGNING_KEY_PEM, witness: log })
 * @throws SignerError (see the README's table)
 */
export async function sign(
  artifact: ArtifactInput,
  options: SignerOptions & SignCallOptions,
): Promise<SignResult> {
  return createSigner(options).sign(artifact, { ...(options.signal ? { signal: options.signal } : {}) })
}

/**
 * One call: sign an in-toto statement (DSSE) into a Sigstore bundle v0.3.
 *
 * @example
 * await attest({ artifact: 'dist/app.tgz', predicateType: PREDICATE_TYPES.cyclonedx, predicate: bom }, { key, witness: log })
 */
export async function attest(
  input: AttestInput,
  options: SignerOptions & SignCallOptions,
): Promise<SignResult> {
  return createSigner(options).attest(input, { ...(options.signal ? { signal: options.signal } : {}) })
}

function configuredWitnesses(options: SignerOptions): WitnessOption | undefined {
  if (options.signingConfig === undefined) {
    if (options.rekorVersion !== undefined) {
      throw new SignerError({
        code: 'SIGNER_INVALID_INPUT',
        message: 'rekorVersion applies to a signingConfig; pass a RekorV2Client as the witness instead',
      })
    }
    return options.witness
  }
  if (options.witness !== undefined) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'pass either witness or signingConfig, not both',
    })
  }
  return witnessesFromSigningConfig(options.signingConfig, {
    ...(options.rekorVersion !== undefined ? { rekorVersion: options.rekorVersion } : {}),
    ...(options.trustedRoot !== undefined ? { trustedRoot: options.trustedRoot } : {}),
  })
}

interface Context {
  witnesses: Witness[]
  logger: Logger
  maxInMemoryBytes: number
  keyless: KeylessOptions | undefined
  keyState: Promise<KeyState> | undefined
  ownSignatures: OwnSignatures | undefined
}

function isKeyProvider(value: unknown): value is KeyProvider {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KeyProvider).sign === 'function' &&
    typeof (value as KeyProvider).publicKey === 'function'
  )
}

async function describeProvider(provider: KeyProvider): Promise<KeyState> {
  let pem: unknown
  try {
    pem = await provider.publicKey()
  } catch (error) {
    throw new SignerError({
      code: 'SIGNER_SIGNING_FAILED',
      message: 'the key provider could not return its public key',
      cause: error,
    })
  }
  if (typeof pem !== 'string')
    throw new SignerError({
      code: 'SIGNER_KEY_INVALID',
      message: 'KeyProvider.publicKey() must return PEM text',
    })
  const info = describeKey(loadPublicKey(pem))
  return { provider, info, hint: provider.keyHint ?? info.keyId, local: false }
}

type Signed = { signature: Buffer; publicKeyPem?: string; certificatePem?: string; hint?: string }

async function signArtifact(
  context: Context,
  artifact: ArtifactInput,
  options: SignCallOptions,
): Promise<SignResult> {
  const { signal } = options
  if (signal?.aborted) throw abortError(signal)
  const key = context.keyState ? await context.keyState : undefined
  // Pure Ed25519 (and providers that cannot sign a digest) need the message itself.
  const needBytes =
    key !== undefined && (key.info.algorithm === 'ed25519' || typeof key.provider.signDigest !== 'function')
  if (needBytes && typeof artifact === 'string' && artifact.startsWith('sha256:')) {
    throw new SignerError({
      code: 'SIGNER_DIGEST_ONLY_UNSUPPORTED',
      message:
        key.info.algorithm === 'ed25519'
          ? 'Ed25519 signs the artifact itself, not a digest: pass the artifact bytes, a stream or a path, or use an ECDSA/RSA key'
          : 'this key provider cannot sign a bare digest (no signDigest()): pass the artifact itself',
    })
  }
  const resolved = await resolveArtifact(artifact, {
    needBytes,
    maxInMemoryBytes: context.maxInMemoryBytes,
    ...(signal ? { signal } : {}),
  })
  const digestHex = resolved.digest.toString('hex')
  const signed: Signed = key
    ? await signWithKey(key, resolved)
    : await signKeyless(
        context.keyless!,
        resolved.bytes ? { data: resolved.bytes } : { digest: resolved.digest },
        signal,
      )
  if (signal?.aborted) throw abortError(signal)

  const content = {
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: resolved.digest.toString('base64') },
      signature: signed.signature.toString('base64'),
    },
  }
  const keyPem = (signed.certificatePem ?? signed.publicKeyPem)!
  // Recorded only for the digest path: with the artifact at hand the log checks it with OpenSSL anyway.
  const own = context.ownSignatures && !resolved.bytes ? context.ownSignatures : undefined
  own?.record('sha256', digestHex, signed.signature, keyPem)
  const witnessed = await runWitnesses(context.witnesses, {
    ...(own ? { ownSignatures: own } : {}),
    proposedEntry: () =>
      buildHashedRekordProposedEntry({
        digest: `sha256:${digestHex}`,
        signature: signed.signature,
        ...(signed.certificatePem
          ? { certificatePem: signed.certificatePem }
          : { publicKeyPem: signed.publicKeyPem! }),
      }),
    v2Request: () =>
      buildHashedRekordRequestV002({
        digest: `sha256:${digestHex}`,
        signature: signed.signature,
        verifier: v2Verifier(signed),
      }),
    expected: { digest: `sha256:${digestHex}`, signature: signed.signature, publicKeyOrCertPem: keyPem },
    content: async () => (await checkedBundle(assembleBundle(signed, content, emptyWitness()))).content,
    publicKeyOrCertPem: keyPem,
    ...(resolved.bytes ? { artifact: resolved.bytes } : {}),
    ...(signal ? { signal } : {}),
  })
  context.logger.debug(
    {
      digest: `sha256:${digestHex}`,
      entries: witnessed.logEntries.length,
      timestamps: witnessed.rfc3161Timestamps.length,
    },
    'signed artifact',
  )
  const bundle = assembleBundle(signed, content, witnessed)
  if (!context.ownSignatures) await checkedBundle(bundle)
  return result(bundle, `sha256:${digestHex}`, signed, witnessed)
}

async function attestStatement(
  context: Context,
  input: AttestInput,
  options: SignCallOptions,
): Promise<SignResult> {
  const { signal } = options
  if (signal?.aborted) throw abortError(signal)
  const statement = await toStatement(input, context, signal)
  const payload = Buffer.from(JSON.stringify(statement), 'utf8')
  const pae = Buffer.from(preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload))
  const key = context.keyState ? await context.keyState : undefined
  const signed: Signed = key
    ? await signWithKey(key, { digest: createHash('sha256').update(pae).digest(), bytes: pae })
    : await signKeyless(context.keyless!, { data: pae }, signal)
  if (signal?.aborted) throw abortError(signal)

  const envelope = {
    payload: payload.toString('base64'),
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    signatures: [{ sig: signed.signature.toString('base64'), keyid: signed.hint ?? '' }],
  }
  const envelopeText = JSON.stringify(envelope)
  const keyPem = (signed.certificatePem ?? signed.publicKeyPem)!
  const content = { dsseEnvelope: envelope }
  const witnessed = await runWitnesses(context.witnesses, {
    proposedEntry: () => buildDsseProposedEntry({ envelope: envelopeText, verifiers: [keyPem] }),
    v2Request: () => buildDsseRequestV002({ envelope: envelopeText, verifiers: [v2Verifier(signed)] }),
    expected: { signature: signed.signature, publicKeyOrCertPem: keyPem, envelope: envelopeText },
    content: async () => (await checkedBundle(assembleBundle(signed, content, emptyWitness()))).content,
    publicKeyOrCertPem: keyPem,
    ...(signal ? { signal } : {}),
  })
  const digest = `sha256:${createHash('sha256').update(payload).digest('hex')}`
  context.logger.debug(
    { digest, predicateType: statement.predicateType, entries: witnessed.logEntries.length },
    'signed attestation',
  )
  const bundle = assembleBundle(signed, content, witnessed)
  if (!context.ownSignatures) await checkedBundle(bundle)
  return result(bundle, digest, signed, witnessed)
}

async function toStatement(
  input: AttestInput,
  context: Context,
  signal: AbortSignal | undefined,
): Promise<Statement> {
  if (typeof input !== 'object' || input === null) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'attest() needs a statement, or subjects/artifact with predicateType and predicate',
    })
  }
  if ('_type' in input) return checkStatement(input)
  if ('subjects' in input)
    return createStatement(input as { subjects: Subject[]; predicateType: string; predicate: object })
  if ('artifact' in input) {
    const resolved: ResolvedArtifact = await resolveArtifact(input.artifact, {
      needBytes: false,
      maxInMemoryBytes: context.maxInMemoryBytes,
      ...(signal ? { signal } : {}),
    })
    const name = input.name ?? resolved.name
    if (!name) {
      throw new SignerError({
        code: 'SIGNER_INVALID_INPUT',
        message: 'the attestation subject needs a name: pass name (bytes, streams and digests have none)',
      })
    }
    return createStatement({
      subjects: [{ name, digest: { sha256: resolved.digest.toString('hex') } }],
      predicateType: input.predicateType,
      predicate: input.predicate,
    })
  }
  throw new SignerError({
    code: 'SIGNER_INVALID_INPUT',
    message: 'attest() needs a statement, or subjects/artifact with predicateType and predicate',
  })
}

async function signWithKey(key: KeyState, artifact: { digest: Buffer; bytes?: Buffer }): Promise<Signed> {
  let signature: Uint8Array
  try {
    if (artifact.bytes) signature = await key.provider.sign(artifact.bytes)
    else if (key.provider.signDigest) signature = await key.provider.signDigest(artifact.digest, 'sha256')
    else
      throw new SignerError({
        code: 'SIGNER_DIGEST_ONLY_UNSUPPORTED',
        message: 'this key provider cannot sign a digest: pass the artifact itself',
      })
  } catch (error) {
    if (SignerError.is(error)) throw error
    throw new SignerError({
      code: 'SIGNER_SIGNING_FAILED',
      message: 'the key provider failed to sign',
      cause: error,
    })
  }
  if (!(signature instanceof Uint8Array) || signature.length === 0) {
    throw new SignerError({
      code: 'SIGNER_SIGNING_FAILED',
      message: 'the key provider returned an empty signature',
    })
  }
  const buffer = Buffer.from(signature)
  // A remote provider (KMS/HSM) could sign with another key or scheme; catch it here rather than in a log.
  if (!key.local && !(await selfVerify(key.info, artifact, buffer))) {
    throw new SignerError({
      code: 'SIGNER_SIGNING_FAILED',
      message: "the key provider's signature does not verify with its public key",
    })
  }
  return { signature: buffer, publicKeyPem: key.info.publicKeyPem, hint: key.hint }
}

// The one digest-signature check (rekor's): ECDSA with the digest truncated to the curve, RSA PKCS#1 v1.5 by
// recovering the DigestInfo, RSA-PSS by EMSA-PSS over the digest — no scheme is taken on trust. With the artifact's
// bytes at hand the check runs over them with node:crypto. Loaded on demand: only remote providers (KMS) take this
// path, and the check loads @noble/curves, which a local key never needs (start-up of `certus sign`, issue 11).
async function selfVerify(
  info: KeyInfo,
  artifact: { digest: Buffer; bytes?: Buffer },
  signature: Buffer,
): Promise<boolean> {
  const options = artifact.bytes ? { message: artifact.bytes } : {}
  const { verifyDigestSignature } = await import('@certus-trust/core/signature')
  return verifyDigestSignature(
    createPublicKey(info.publicKeyPem),
    'sha256',
    artifact.digest,
    signature,
    options,
  )
}

/** The signer as a Rekor v2 verifier: its certificate (keyless) or its public key; key details from the key. */
function v2Verifier(signed: Signed): { certificatePem: string } | { publicKey: string } {
  return signed.certificatePem
    ? { certificatePem: signed.certificatePem }
    : { publicKey: signed.publicKeyPem! }
}

function emptyWitness(): WitnessResult {
  return { tlogEntries: [], rfc3161Timestamps: [], logEntries: [] }
}

function assembleBundle(signed: Signed, content: object, witnessed: WitnessResult): SerializedBundle {
  const keyMaterial = signed.certificatePem
    ? { certificate: { rawBytes: new X509Certificate(signed.certificatePem).raw.toString('base64') } }
    : { publicKey: { hint: signed.hint ?? '' } }
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      ...keyMaterial,
      tlogEntries: witnessed.tlogEntries,
      timestampVerificationData: { rfc3161Timestamps: witnessed.rfc3161Timestamps },
    },
    ...content,
  } as unknown as SerializedBundle
}

/**
 * Checks an assembled bundle with `@sigstore/bundle` and returns its protobuf form. A self-check: every part went
 * through our own code (remote entries and timestamps are verified and re-encoded first). The signer skips it when it
 * shares an embedded log's `ownSignatures` ledger, i.e. the bundle was made and recorded entirely in this process, so
 * that path never loads `@sigstore/bundle` and its protobuf specs (~10 CommonJS modules, a sizeable part of a
 * one-shot `certus sign`).
 * @throws SignerError `SIGNER_BUNDLE_INVALID`
 */
async function checkedBundle(bundle: SerializedBundle): Promise<import('@sigstore/bundle').Bundle> {
  const { bundleFromJSON } = await import('@sigstore/bundle')
  try {
    return bundleFromJSON(bundle)
  } catch (error) {
    throw new SignerError({
      code: 'SIGNER_BUNDLE_INVALID',
      message: 'the assembled bundle is not a valid Sigstore bundle v0.3',
      cause: error,
    })
  }
}

function result(
  bundle: SerializedBundle,
  digest: string,
  signed: Signed,
  witnessed: WitnessResult,
): SignResult {
  return {
    bundle,
    digest,
    logEntries: witnessed.logEntries,
    ...(signed.publicKeyPem ? { publicKeyPem: signed.publicKeyPem } : {}),
    ...(signed.certificatePem ? { certificatePem: signed.certificatePem } : {}),
    ...(signed.hint !== undefined && !signed.certificatePem ? { keyHint: signed.hint } : {}),
  }
}

async function signBatch(
  signer: Signer,
  items: readonly BatchItem[],
  options: BatchOptions,
): Promise<BatchResult[]> {
  if (!Array.isArray(items))
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'signBatch() needs an array of artifacts',
    })
  const concurrency = options.concurrency ?? 4
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new SignerError({ code: 'SIGNER_INVALID_INPUT', message: 'concurrency must be a positive integer' })
  }
  const results: BatchResult[] = new Array(items.length)
  let next = 0
  let completed = 0
  let failed = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      let outcome: BatchResult
      try {
        if (options.signal?.aborted) throw abortError(options.signal)
        outcome = {
          index,
          ok: true,
          result: await signer.sign(items[index]!, options.signal ? { signal: options.signal } : {}),
        }
      } catch (error) {
        const wrapped = SignerError.is(error)
          ? error
          : new SignerError({
              code: 'SIGNER_SIGNING_FAILED',
              message: 'signing a batch item failed',
              cause: error,
            })
        outcome = { index, ok: false, error: wrapped }
        failed++
      }
      results[index] = outcome
      completed++
      try {
        options.onProgress?.({ completed, failed, total: items.length, index, ok: outcome.ok })
      } catch {
        // A throwing progress callback must not break the batch.
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return results
}
