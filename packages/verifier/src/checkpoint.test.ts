import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { RekorError } from '@certus-trust/log-protocol'
import { describe, expect, it } from 'vitest'
import {
  MAX_CHECKPOINT_LENGTH,
  MAX_SIGNATURE_LINES,
  parseCheckpointEnvelope as parseCheckpoint,
  verifyCheckpointSignature,
} from './checkpoint.js'
import type { TrustedLog } from './trust-root.js'

const root = Buffer.alloc(32, 9).toString('base64')

function ed25519Log(origin: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = publicKey.export({ format: 'jwk' }).x!
  // C2SP signed-note key ID for Ed25519: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ raw key); the trust root's logId is all 32 bytes.
  const keyId = createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${origin}\n`), Buffer.of(1), Buffer.from(raw, 'base64url')]))
    .digest()
  const log: TrustedLog = {
    baseUrl: `https://${origin}`,
    logId: keyId,
    checkpointKeyId: keyId,
    publicKey,
    keyDetails: 'PKIX_ED25519',
    validFor: { start: 0, end: Number.POSITIVE_INFINITY },
  }
  const note = `${origin}\n12\n${root}\n`
  const line = (name: string, hint: Buffer, signature: Buffer) =>
    `\u2014 ${name} ${Buffer.concat([hint, signature]).toString('base64')}\n`
  return { log, privateKey, note, keyId, line, signature: sign(null, Buffer.from(note), privateKey) }
}

describe('checkpoints (C2SP signed notes, Rekor v2 style)', () => {
  it('parses and verifies an Ed25519 checkpoint, ignoring witness cosignatures in any order', () => {
    const { log, note, keyId, line, signature } = ed25519Log('log2025-1.rekor.example.test')
    const witness = line('witness.example', Buffer.from('abcd'), Buffer.alloc(72, 1))
    const envelope = `${note}\n${witness}${line('log2025-1.rekor.example.test', keyId.subarray(0, 4), signature)}`
    const checkpoint = parseCheckpoint(envelope)
    expect(checkpoint).toMatchObject({
      origin: 'log2025-1.rekor.example.test',
      treeSize: 12n,
      otherContent: [],
    })
    expect(checkpoint.signatures).toHaveLength(2)
    expect(verifyCheckpointSignature(checkpoint, [log])).toBe(log)
  })

  it('rejects a signature whose name is not the origin, a wrong hint, and only-witness notes', () => {
    const { log, note, keyId, line, signature } = ed25519Log('log.example.test')
    const cases = [
      `${note}\n${line('other.example.test', keyId.subarray(0, 4), signature)}`,
      `${note}\n${line('log.example.test', Buffer.from('zzzz'), signature)}`,
      `${note}\n${line('witness.example', Buffer.from('abcd'), Buffer.alloc(64, 1))}`,
    ]
    for (const envelope of cases) {
      expect(() => verifyCheckpointSignature(parseCheckpoint(envelope), [log])).toThrowError(
        expect.objectContaining({ code: 'VERIFIER_CHECKPOINT_SIGNATURE_INVALID' }),
      )
    }
  })

  it.each([
    ['no separator', `log\n1\n${root}\n`],
    ['no signatures', `log\n1\n${root}\n\n`],
    ['no size', `log\n${root}\n\n\u2014 log AAAAAAAA\n`],
    ['bad size', `log\n01\n${root}\n\n\u2014 log AAAAAAAA\n`],
    ['short root', `log\n1\nAAAA\n\n\u2014 log AAAAAAAA\n`],
    ['junk signature line', `log\n1\n${root}\n\nnot a signature\n`],
    ['missing final newline', `log\n1\n${root}\n\n\u2014 log AAAAAAAA`],
    [
      'unpadded signature base64 (Go note parsers reject it too)',
      `log\n1\n${root}\n\n\u2014 log AAAAAAAAAA\n`,
    ],
  ])('rejects a malformed note: %s', (_name, envelope) => {
    let thrown: unknown
    try {
      parseCheckpoint(envelope)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({ name: 'VerifierError', code: 'VERIFIER_CHECKPOINT_SIGNATURE_INVALID' })
    // Parsing is @certus-trust/log-protocol's: its error is kept as the cause.
    expect(RekorError.is((thrown as Error).cause, 'REKOR_CHECKPOINT_INVALID')).toBe(true)
  })

  it('enforces the resource limits on signature lines and length before any signature check', () => {
    const { note, keyId, line, signature, log } = ed25519Log('log.example.test')
    const good = line('log.example.test', keyId.subarray(0, 4), signature)
    const witness = line('witness.example', Buffer.from('abcd'), Buffer.alloc(64, 1))
    expect(
      verifyCheckpointSignature(
        parseCheckpoint(`${note}\n${witness.repeat(MAX_SIGNATURE_LINES - 1)}${good}`),
        [log],
      ),
    ).toBe(log)
    const code = { code: 'VERIFIER_CHECKPOINT_SIGNATURE_INVALID' }
    expect(() => parseCheckpoint(`${note}\n${witness.repeat(MAX_SIGNATURE_LINES)}${good}`)).toThrowError(
      expect.objectContaining(code),
    )
    const longOrigin = 'x'.repeat(MAX_CHECKPOINT_LENGTH)
    expect(() => parseCheckpoint(`${longOrigin}\n1\n${root}\n\n${good}`)).toThrowError(
      expect.objectContaining(code),
    )
  })

  it('tries each trusted log the entry names and returns the one whose key signed', () => {
    const first = ed25519Log('log.example.test')
    const second = ed25519Log('log.example.test')
    const envelope = `${second.note}\n${second.line('log.example.test', second.keyId.subarray(0, 4), second.signature)}`
    expect(verifyCheckpointSignature(parseCheckpoint(envelope), [first.log, second.log])).toBe(second.log)
    expect(() => verifyCheckpointSignature(parseCheckpoint(envelope), [first.log])).toThrowError(
      expect.objectContaining({ code: 'VERIFIER_CHECKPOINT_SIGNATURE_INVALID' }),
    )
  })
})

describe('checkpoint signer names vs the trusted log (issue 17, ADR 0003)', () => {
  const invalid = expect.objectContaining({ code: 'VERIFIER_CHECKPOINT_SIGNATURE_INVALID' })

  it('a private log whose origin is not in its base URL verifies when its C2SP key ID commits to the origin', () => {
    const { log, note, keyId, line, signature } = ed25519Log('tlog-7.internal.example')
    const privateLog = { ...log, baseUrl: 'https://transparency.corp.example.com/rekor' }
    const envelope = `${note}\n${line('tlog-7.internal.example', keyId.subarray(0, 4), signature)}`
    expect(verifyCheckpointSignature(parseCheckpoint(envelope), [privateLog])).toBe(privateLog)
  })

  it('the same key under another name is not that log: origin signed by the key, key ID for another name', () => {
    const { log, privateKey, keyId, line } = ed25519Log('tlog-7.internal.example')
    const privateLog = { ...log, baseUrl: 'https://transparency.corp.example.com/rekor' }
    // The log's key signs a note for another origin; the line carries the trusted hint, so only the name rule
    // can tell the two logs apart.
    const note = `impostor.example\n12\n${root}\n`
    const signature = sign(null, Buffer.from(note), privateKey)
    const envelope = `${note}\n${line('impostor.example', keyId.subarray(0, 4), signature)}`
    expect(() => verifyCheckpointSignature(parseCheckpoint(envelope), [privateLog])).toThrowError(invalid)
    // Named in the base URL instead, the same note is accepted (the sigstore-js rule, kept for every key).
    expect(
      verifyCheckpointSignature(parseCheckpoint(envelope), [
        { ...privateLog, baseUrl: 'https://impostor.example' },
      ]),
    ).toBeDefined()
  })

  it('an ECDSA (Rekor v1-style) log key names nothing: its signer name must appear in the base URL', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const keyId = createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest()
    const log: TrustedLog = {
      baseUrl: 'https://rekor.corp.example.com',
      logId: keyId,
      checkpointKeyId: keyId,
      publicKey,
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start: 0, end: Number.POSITIVE_INFINITY },
    }
    const checkpointFor = (origin: string) => {
      const note = `${origin}\n12\n${root}\n`
      const signature = sign('sha256', Buffer.from(note), privateKey)
      return `${note}\n\u2014 ${origin} ${Buffer.concat([keyId.subarray(0, 4), signature]).toString('base64')}\n`
    }
    expect(verifyCheckpointSignature(parseCheckpoint(checkpointFor('rekor.corp.example.com')), [log])).toBe(
      log,
    )
    expect(() =>
      verifyCheckpointSignature(parseCheckpoint(checkpointFor('private-log.internal')), [log]),
    ).toThrowError(invalid)
  })
})
