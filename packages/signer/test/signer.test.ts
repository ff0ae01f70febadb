import {
  constants,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  privateEncrypt,
} from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { type LogEntry, RekorError } from '@certus-trust/log-protocol'
import { describe, expect, it } from 'vitest'
import {
  attest,
  createLocalKeyProvider,
  createSigner,
  createTimestampAuthorityWitness,
  type KeyProvider,
  type SignResult,
  sign,
} from '../src/index.js'
import { createTestLog, type TestLog, verifyUpstream } from './helpers.js'

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const artifact = Buffer.from('0123456789abcdef'.repeat(4096)) // 64 KiB, several stream chunks
const artifactDigest = `sha256:${createHash('sha256').update(artifact).digest('hex')}` as const

function verifies(
  result: SignResult,
  log: ReturnType<typeof createTestLog>,
  data: Buffer | undefined = artifact,
) {
  verifyUpstream(result.bundle, data, {
    root: { tlogs: [{ baseUrl: log.baseUrl, publicKey: log.publicKey }] },
    publicKeys: { [result.keyHint!]: result.publicKeyPem! },
  })
}

describe('artifact inputs', () => {
  it('bytes, { path }, Node stream, web stream, async iterable and digest all sign the same digest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'certus-art-'))
    const path = join(dir, 'app.tgz')
    await writeFile(path, artifact)
    const log = createTestLog()
    const signer = createSigner({ key: ec.privateKey, witness: log })
    async function* chunks() {
      for (let offset = 0; offset < artifact.length; offset += 1000)
        yield artifact.subarray(offset, offset + 1000)
    }
    const inputs = [
      artifact,
      new Uint8Array(artifact),
      { path },
      Readable.from([artifact.subarray(0, 10), artifact.subarray(10)]),
      { stream: Readable.toWeb(Readable.from([artifact])) as ReadableStream<Uint8Array> },
      chunks(),
      artifactDigest,
      { digest: artifactDigest },
    ]
    for (const input of inputs) {
      const result = await signer.sign(input as never)
      expect(result.digest).toBe(artifactDigest)
      verifies(result, log)
    }
  })

  it('Ed25519 reads a file/stream into memory up to maxInMemoryBytes, then fails with SIGNER_ARTIFACT_TOO_LARGE', async () => {
    const log = createTestLog()
    const signer = createSigner({
      key: generateKeyPairSync('ed25519').privateKey,
      witness: log,
      maxInMemoryBytes: 100_000,
    })
    const result = await signer.sign(Readable.from([artifact]))
    expect(Buffer.from(log.requests.at(-1)!.artifact!).equals(artifact)).toBe(true)
    expect(result.digest).toBe(artifactDigest)
    const small = createSigner({
      key: generateKeyPairSync('ed25519').privateKey,
      witness: log,
      maxInMemoryBytes: 1000,
    })
    await expect(small.sign(Readable.from([artifact]))).rejects.toMatchObject({
      code: 'SIGNER_ARTIFACT_TOO_LARGE',
    })
  })

  it('reads a file of several read steps whole, in order, with or without keeping its bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'signer-file-'))
    // 200 KiB of distinct bytes: four reads, the last one short.
    const content = Buffer.from(
      Array.from({ length: 200 * 1024 }, (_, index) => (index * 7 + (index >> 12)) % 256),
    )
    const path = join(dir, 'big.bin')
    await writeFile(path, content)
    const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`
    const log = createTestLog()
    expect((await createSigner({ key: ec.privateKey, witness: log }).sign({ path })).digest).toBe(digest)
    // Ed25519 keeps the bytes (pure Ed25519 signs them): each step's bytes must survive the next read.
    const ed = createSigner({ key: generateKeyPairSync('ed25519').privateKey, witness: log })
    expect((await ed.sign({ path })).digest).toBe(digest)
    expect(Buffer.from(log.requests.at(-1)!.artifact!).equals(content)).toBe(true)
    const small = createSigner({
      key: generateKeyPairSync('ed25519').privateKey,
      witness: log,
      maxInMemoryBytes: 100_000,
    })
    await expect(small.sign({ path })).rejects.toMatchObject({ code: 'SIGNER_ARTIFACT_TOO_LARGE' })
  })

  it('bad artifacts are typed errors', async () => {
    const signer = createSigner({ key: ec.privateKey, witness: 'none' })
    await expect(signer.sign('sha256:xyz')).rejects.toMatchObject({ code: 'SIGNER_INVALID_DIGEST' })
    await expect(signer.sign(`sha256:${'a'.repeat(63)}`)).rejects.toMatchObject({
      code: 'SIGNER_INVALID_DIGEST',
    })
    await expect(signer.sign(`sha512:${'a'.repeat(128)}` as never)).rejects.toMatchObject({
      code: 'SIGNER_INVALID_DIGEST',
    })
    await expect(signer.sign({ digest: 42 } as never)).rejects.toMatchObject({
      code: 'SIGNER_INVALID_DIGEST',
    })
    await expect(signer.sign({ path: tmpdir() })).rejects.toMatchObject({
      code: 'SIGNER_ARTIFACT_UNREADABLE',
    })
    await expect(signer.sign({ path: '/definitely/not/here.bin' })).rejects.toMatchObject({
      code: 'SIGNER_ARTIFACT_UNREADABLE',
      details: { errno: 'ENOENT' },
    })
    // A string is only ever a digest: a path or a text given as a string is refused, never guessed at.
    for (const text of ['', '/definitely/not/here.bin', 'hello world', tmpdir()]) {
      await expect(signer.sign(text as never)).rejects.toMatchObject({
        code: 'SIGNER_INVALID_INPUT',
        message: expect.stringContaining('{ path }'),
      })
    }
    await expect(signer.sign(42 as never)).rejects.toMatchObject({ code: 'SIGNER_INVALID_INPUT' })
    await expect(signer.sign({ bytes: 'x' } as never)).rejects.toMatchObject({ code: 'SIGNER_INVALID_INPUT' })
    await expect(signer.sign(Readable.from([{ not: 'bytes' }]))).rejects.toMatchObject({
      code: 'SIGNER_INVALID_INPUT',
    })
    const broken = new Readable({
      read() {
        this.destroy(new Error('disk on fire'))
      },
    })
    await expect(signer.sign(broken)).rejects.toMatchObject({ code: 'SIGNER_ARTIFACT_UNREADABLE' })
  })

  it('an aborted signal stops signing with SIGNER_ABORTED', async () => {
    const signer = createSigner({ key: ec.privateKey, witness: createTestLog() })
    await expect(signer.sign(artifact, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'SIGNER_ABORTED',
    })
    const never = { createEntry: () => new Promise<never>(() => {}) }
    const controller = new AbortController()
    const pending = createSigner({ key: ec.privateKey, witness: never }).sign(artifact, {
      signal: controller.signal,
    })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'SIGNER_ABORTED' })
  })
})

describe('witness failures never yield a bundle', () => {
  type Breaker = (log: TestLog) => void
  const cases: Array<{ name: string; breakIt: Breaker; code: string }> = (<Array<[string, Breaker, string]>>[
    [
      'network error',
      (log) => {
        log.failWith = new RekorError({ code: 'REKOR_NETWORK', message: 'connect ECONNREFUSED' })
      },
      'SIGNER_WITNESS_UNREACHABLE',
    ],
    [
      'timeout',
      (log) => {
        log.failWith = new RekorError({ code: 'REKOR_TIMEOUT', message: 'timed out' })
      },
      'SIGNER_WITNESS_UNREACHABLE',
    ],
    [
      '400 rejection',
      (log) => {
        log.failWith = new RekorError({
          code: 'REKOR_HTTP',
          message: 'bad entry',
          details: { status: 400 },
        })
      },
      'SIGNER_WITNESS_FAILED',
    ],
    [
      'entry for another signature',
      (log) => {
        log.tamper = (entry: LogEntry) => ({
          ...entry,
          body: Buffer.from(
            JSON.stringify({
              apiVersion: '0.0.1',
              kind: 'hashedrekord',
              spec: {
                data: { hash: { algorithm: 'sha256', value: 'ab'.repeat(32) } },
                signature: { content: 'AAAA', publicKey: { content: 'AAAA' } },
              },
            }),
          ).toString('base64'),
        })
      },
      'SIGNER_WITNESS_RESPONSE_INVALID',
    ],
    [
      'no SET',
      (log) => {
        log.tamper = (entry: LogEntry) => ({
          ...entry,
          verification: { inclusionProof: entry.verification!.inclusionProof! },
        })
      },
      'SIGNER_WITNESS_RESPONSE_INVALID',
    ],
    [
      'no inclusion proof',
      (log) => {
        log.tamper = (entry: LogEntry) => ({
          ...entry,
          verification: { signedEntryTimestamp: entry.verification!.signedEntryTimestamp! },
        })
      },
      'SIGNER_WITNESS_RESPONSE_INVALID',
    ],
    [
      'proof to another root',
      (log) => {
        log.tamper = (entry: LogEntry) => ({
          ...entry,
          verification: {
            ...entry.verification,
            inclusionProof: { ...entry.verification!.inclusionProof!, hashes: ['00'.repeat(32)] },
          },
        })
      },
      'SIGNER_WITNESS_RESPONSE_INVALID',
    ],
    [
      'garbage response',
      (log) => {
        log.tamper = () => null as never
      },
      'SIGNER_WITNESS_RESPONSE_INVALID',
    ],
  ]).map(([name, breakIt, code]) => ({ name, breakIt, code }))
  it.each(cases)('$name → $code', async ({ breakIt, code }) => {
    const log = createTestLog()
    breakIt(log)
    const signer = createSigner({ key: ec.privateKey, witness: [log] })
    await expect(signer.sign(artifact)).rejects.toMatchObject({ code })
    await expect(
      signer.attest({
        subjects: [{ name: 'a', digest: { sha256: 'ab'.repeat(32) } }],
        predicateType: 'https://x.test/p',
        predicate: {},
      }),
    ).rejects.toMatchObject({ code })
  })
  it('one failing witness among several fails the whole signing', async () => {
    const good = createTestLog()
    const bad = createTestLog()
    bad.failWith = new RekorError({ code: 'REKOR_HTTP', message: 'nope', details: { status: 422 } })
    await expect(
      createSigner({ key: ec.privateKey, witness: [good, bad] }).sign(artifact),
    ).rejects.toMatchObject({ code: 'SIGNER_WITNESS_FAILED' })
  })
  it('two logs give two entries that both verify', async () => {
    const first = createTestLog({ baseUrl: 'https://one.test' })
    const second = createTestLog({ baseUrl: 'https://two.test' })
    const result = await createSigner({ key: ec.privateKey, witness: [first, second] }).sign(artifact)
    expect(result.bundle.verificationMaterial.tlogEntries).toHaveLength(2)
    verifyUpstream(result.bundle, artifact, {
      root: {
        tlogs: [
          { baseUrl: first.baseUrl, publicKey: first.publicKey },
          { baseUrl: second.baseUrl, publicKey: second.publicKey },
        ],
      },
      publicKeys: { [result.keyHint!]: result.publicKeyPem! },
      verifier: { tlogThreshold: 2 },
    })
  })
  it('bad witness options are typed errors', () => {
    expect(() => createTimestampAuthorityWitness({ url: 'file:///etc/passwd' })).toThrowError(
      expect.objectContaining({ code: 'SIGNER_INVALID_INPUT' }),
    )
    expect(() => createTimestampAuthorityWitness(undefined as never)).toThrowError(
      expect.objectContaining({ code: 'SIGNER_INVALID_INPUT' }),
    )
    expect(() => createLocalKeyProvider('garbage')).toThrowError(
      expect.objectContaining({ code: 'SIGNER_KEY_INVALID' }),
    )
    expect(() => createSigner({ key: ec.privateKey, witness: {} as never })).toThrowError(
      expect.objectContaining({ code: 'SIGNER_INVALID_INPUT' }),
    )
    expect(() => createSigner({ key: ec.privateKey, witness: 'nope' as never })).toThrowError(
      expect.objectContaining({ code: 'SIGNER_INVALID_INPUT' }),
    )
    expect(() =>
      createSigner({ key: ec.privateKey, witness: 'none', timestampAuthority: 'not a url' }),
    ).toThrowError(expect.objectContaining({ code: 'SIGNER_INVALID_INPUT' }))
  })
})

describe('conflicts and aborts from logs', () => {
  it('a conflict from a log that cannot look entries up is SIGNER_WITNESS_FAILED; an aborted log call is SIGNER_ABORTED', async () => {
    const log = createTestLog()
    log.failWith = new RekorError({
      code: 'REKOR_CONFLICT',
      message: 'exists',
      details: { uuid: 'ab'.repeat(32) },
    })
    await expect(createSigner({ key: ec.privateKey, witness: log }).sign(artifact)).rejects.toMatchObject({
      code: 'SIGNER_WITNESS_FAILED',
    })
    log.failWith = new RekorError({ code: 'REKOR_ABORTED', message: 'aborted' })
    await expect(createSigner({ key: ec.privateKey, witness: log }).sign(artifact)).rejects.toMatchObject({
      code: 'SIGNER_ABORTED',
    })
  })
  it('a conflict naming an entry that records another signature is refused', async () => {
    const log = createTestLog()
    const other = await createSigner({ key: ec.privateKey, witness: log }).sign(Buffer.from('other'))
    const conflicting = Object.assign(createTestLog(), {
      getEntryByUuid: async () => other.logEntries[0],
    })
    conflicting.failWith = new RekorError({
      code: 'REKOR_CONFLICT',
      message: 'exists',
      details: { uuid: other.logEntries[0]!.uuid },
    })
    await expect(
      createSigner({ key: ec.privateKey, witness: conflicting }).sign(artifact),
    ).rejects.toMatchObject({ code: 'SIGNER_WITNESS_RESPONSE_INVALID' })
  })
})

describe('logging', () => {
  it('the logger gets digests and counts, never keys or tokens', async () => {
    const lines: string[] = []
    const record = (fields: Record<string, unknown>, message: string) =>
      void lines.push(`${message} ${JSON.stringify(fields)}`)
    const logger = { debug: record, info: record, warn: record, error: record }
    const pem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    await createSigner({ key: pem, witness: createTestLog(), logger }).sign(artifact)
    expect(lines.join('\n')).toContain(artifactDigest)
    expect(lines.join('\n')).not.toContain(pem.split('\n')[1]!)
  })
})

describe('KeyProvider (KMS/HSM seam)', () => {
  const kmsLike = (privateKey = ec.privateKey, publicKey = ec.publicKey): KeyProvider => ({
    publicKey: async () => publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: async (data) => nodeSign('sha256', data, privateKey),
  })
  it('a provider without signDigest signs bytes (streams are buffered) and bundles verify upstream', async () => {
    const log = createTestLog()
    const signer = createSigner({ key: kmsLike(), witness: log })
    verifies(await signer.sign(artifact), log)
    verifies(await signer.sign(Readable.from([artifact])), log)
    await expect(signer.sign(artifactDigest)).rejects.toMatchObject({
      code: 'SIGNER_DIGEST_ONLY_UNSUPPORTED',
    })
    expect(await signer.publicKey()).toContain('BEGIN PUBLIC KEY')
  })
  it('a provider whose signature does not match its public key is caught before logging', async () => {
    const log = createTestLog()
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const signer = createSigner({ key: kmsLike(other.privateKey, ec.publicKey), witness: log })
    await expect(signer.sign(artifact)).rejects.toMatchObject({ code: 'SIGNER_SIGNING_FAILED' })
    expect(log.requests).toHaveLength(0)
  })
  it('an RSA signature over a bare digest is checked, not trusted: the right key passes, another key or digest fails', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 })
    // What a KMS returns for RSASSA-PKCS1-v1_5 over a SHA-256 digest: the DigestInfo, padded and signed.
    const digestInfo = (digest: Uint8Array) =>
      Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), digest])
    const remoteRsa = (signWith: KeyObject, tamper = false): KeyProvider => ({
      publicKey: async () => rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      sign: async (data) => nodeSign('sha256', data, signWith),
      signDigest: async (digest) => {
        const signed = tamper ? Buffer.from(digest).fill(7, 0, 1) : digest
        return privateEncrypt({ key: signWith, padding: constants.RSA_PKCS1_PADDING }, digestInfo(signed))
      },
    })
    const log = createTestLog()
    verifies(await createSigner({ key: remoteRsa(rsa.privateKey), witness: log }).sign(artifactDigest), log)
    for (const provider of [remoteRsa(stranger.privateKey), remoteRsa(rsa.privateKey, true)]) {
      const before = log.requests.length
      await expect(createSigner({ key: provider, witness: log }).sign(artifactDigest)).rejects.toMatchObject({
        code: 'SIGNER_SIGNING_FAILED',
        message: "the key provider's signature does not verify with its public key",
      })
      expect(log.requests).toHaveLength(before)
    }
  })
  it('provider failures and bad public keys are typed', async () => {
    const failing: KeyProvider = {
      publicKey: () => ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      sign: () => Promise.reject(new Error('KMS throttled')),
    }
    await expect(createSigner({ key: failing, witness: 'none' }).sign(artifact)).rejects.toMatchObject({
      code: 'SIGNER_SIGNING_FAILED',
    })
    const weak: KeyProvider = {
      publicKey: () =>
        generateKeyPairSync('rsa', { modulusLength: 1024 })
          .publicKey.export({ type: 'spki', format: 'pem' })
          .toString(),
      sign: async () => new Uint8Array(1),
    }
    await expect(createSigner({ key: weak, witness: 'none' }).sign(artifact)).rejects.toMatchObject({
      code: 'SIGNER_WEAK_KEY',
    })
    const empty: KeyProvider = {
      publicKey: () => ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      sign: async () => new Uint8Array(0),
    }
    await expect(createSigner({ key: empty, witness: 'none' }).sign(artifact)).rejects.toMatchObject({
      code: 'SIGNER_SIGNING_FAILED',
    })
  })
})

describe('one-call sign() / attest() and options', () => {
  it('sign() and attest() take key + witness in one options object', async () => {
    const log = createTestLog()
    const pem = ec.privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString()
    verifies(await sign(artifact, { key: pem, passphrase: 'pw', witness: log }), log)
    const attestation = await attest(
      {
        artifact: { bytes: artifact, name: 'a.bin' },
        predicateType: 'https://x.test/p',
        predicate: { a: [1, 2] },
      },
      { key: pem, passphrase: 'pw', witness: log },
    )
    verifies(attestation, log, undefined)
    await expect(sign(artifact, { key: pem, passphrase: 'bad', witness: log })).rejects.toMatchObject({
      code: 'SIGNER_WRONG_PASSPHRASE',
    })
  })
  it('rejects bad signer options', () => {
    const bad = [
      undefined,
      {},
      { key: ec.privateKey, keyless: { identityToken: 'x' }, witness: 'none' },
      { key: ec.privateKey, witness: 'none', maxInMemoryBytes: -1 },
      { key: ec.publicKey, witness: 'none' },
    ]
    for (const options of bad) {
      let code: string | undefined
      try {
        createSigner(options as never)
      } catch (error) {
        code = (error as { code?: string }).code
      }
      expect(code, JSON.stringify(options)).toMatch(/^SIGNER_(INVALID_INPUT|KEY_INVALID|WITNESS_REQUIRED)$/)
    }
  })
  it('private keys never appear in bundles or results', async () => {
    const pem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const d = ec.privateKey.export({ format: 'jwk' }).d!
    const result = await sign(artifact, { key: pem, witness: createTestLog() })
    const text = JSON.stringify(result)
    expect(text).not.toContain(pem.split('\n')[1]!)
    expect(text).not.toContain(d)
    expect(text).not.toContain(Buffer.from(d, 'base64url').toString('base64'))
  })
})

describe('batch signing', () => {
  it('bounded concurrency, progress per item, failures reported in place', async () => {
    const log = createTestLog()
    let active = 0
    let maxActive = 0
    const slowLog = {
      async createEntry(...args: Parameters<typeof log.createEntry>) {
        active++
        maxActive = Math.max(maxActive, active)
        await new Promise((resolve) => setTimeout(resolve, 5))
        active--
        return log.createEntry(...args)
      },
    }
    const signer = createSigner({ key: ec.privateKey, witness: slowLog })
    const items = Array.from({ length: 10 }, (_, index) => Buffer.from(`item ${index}`)) as unknown[]
    items[3] = 'sha256:bad'
    const progress: number[] = []
    const results = await signer.signBatch(items as never, {
      concurrency: 3,
      onProgress: (event) => progress.push(event.completed),
    })
    expect(maxActive).toBeLessThanOrEqual(3)
    expect(maxActive).toBeGreaterThan(1)
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(results.map((result) => result.ok)).toEqual([
      true,
      true,
      true,
      false,
      true,
      true,
      true,
      true,
      true,
      true,
    ])
    expect(results[3]).toMatchObject({ index: 3, ok: false, error: { code: 'SIGNER_INVALID_DIGEST' } })
    const fifth = results[5]!
    expect(fifth.ok && fifth.result.digest).toBe(
      `sha256:${createHash('sha256').update('item 5').digest('hex')}`,
    )
    if (fifth.ok) verifies(fifth.result, log, Buffer.from('item 5'))
  })
  it('bad batch input is typed; an aborted batch marks remaining items SIGNER_ABORTED', async () => {
    const signer = createSigner({ key: ec.privateKey, witness: 'none' })
    await expect(signer.signBatch('x' as never)).rejects.toMatchObject({ code: 'SIGNER_INVALID_INPUT' })
    await expect(signer.signBatch([], { concurrency: 0 })).rejects.toMatchObject({
      code: 'SIGNER_INVALID_INPUT',
    })
    expect(await signer.signBatch([])).toEqual([])
    const results = await signer.signBatch([artifact, artifact], { signal: AbortSignal.abort() })
    expect(results.every((result) => !result.ok && result.error.code === 'SIGNER_ABORTED')).toBe(true)
  })
})
