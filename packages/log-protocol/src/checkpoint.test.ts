import { generateKeyPairSync } from 'node:crypto'
import { sha256 } from '@certus-trust/core'
import { describe, expect, it } from 'vitest'
import { checkpointKeyHint, parseCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint.js'
import { logIdFromPublicKey } from './keys.js'

const root = sha256(new TextEncoder().encode('root'))

describe.each(['ec', 'ed25519'] as const)('checkpoints signed with %s', (type) => {
  const { privateKey, publicKey } =
    type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')
  const note = signCheckpoint(
    { origin: 'log.example - 42', treeSize: 1234n, rootHash: root, otherContent: ['Timestamp: 1'] },
    { name: 'log.example', privateKey },
  )

  it('produces the Rekor v1 note layout', () => {
    const lines = note.split('\n')
    expect(lines.slice(0, 5)).toEqual([
      'log.example - 42',
      '1234',
      Buffer.from(root).toString('base64'),
      'Timestamp: 1',
      '',
    ])
    expect(lines[5]).toMatch(/^\u2014 log\.example [A-Za-z0-9+/=]+$/)
    expect(note.endsWith('\n')).toBe(true)
    // v1 key hint = first 4 bytes of SHA-256(DER SPKI) = logID[0:4], for every key type.
    expect(Buffer.from(checkpointKeyHint(publicKey)).toString('hex')).toBe(
      logIdFromPublicKey(publicKey).slice(0, 8),
    )
  })

  it('parses and verifies, with or without the name', () => {
    const checkpoint = verifyCheckpoint(note, { publicKey, name: 'log.example' })
    expect(checkpoint.treeSize).toBe(1234n)
    expect(checkpoint.origin).toBe('log.example - 42')
    expect(checkpoint.otherContent).toEqual(['Timestamp: 1'])
    expect(Buffer.from(checkpoint.rootHash)).toEqual(Buffer.from(root))
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    expect(verifyCheckpoint(parseCheckpoint(note), { publicKey: pem }).signedText).toBe(checkpoint.signedText)
  })

  it('fails with another key, another name, an altered body or a corrupted signature', () => {
    const other =
      type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')
    const code = { code: 'REKOR_CHECKPOINT_SIGNATURE_INVALID' }
    expect(() => verifyCheckpoint(note, { publicKey: other.publicKey })).toThrowError(
      expect.objectContaining(code),
    )
    expect(() => verifyCheckpoint(note, { publicKey, name: 'other.example' })).toThrowError(
      expect.objectContaining(code),
    )
    expect(() => verifyCheckpoint(note.replace('\n1234\n', '\n1235\n'), { publicKey })).toThrowError(
      expect.objectContaining(code),
    )
    const parsed = parseCheckpoint(note)
    const signature = parsed.signatures[0]!
    const corrupted = {
      ...parsed,
      signatures: [
        {
          ...signature,
          signature: signature.signature.map((byte, index) => (index === 10 ? byte ^ 1 : byte)),
        },
      ],
    }
    expect(() => verifyCheckpoint(corrupted, { publicKey })).toThrowError(expect.objectContaining(code))
    // A wrong key hint in front of a valid signature is rejected too (hint check).
    const rehinted = { ...parsed, signatures: [{ ...signature, keyHint: new Uint8Array([0, 0, 0, 0]) }] }
    expect(() => verifyCheckpoint(rehinted, { publicKey })).toThrowError(expect.objectContaining(code))
  })

  it('accepts one good line among foreign ones', () => {
    const [body, sigs] = [note.slice(0, note.indexOf('\n\n') + 2), note.slice(note.indexOf('\n\n') + 2)]
    const foreign = `\u2014 witness.example ${Buffer.from(new Uint8Array(40).fill(7)).toString('base64')}\n`
    expect(() => verifyCheckpoint(body + foreign + sigs, { publicKey })).not.toThrow()
  })
})

describe('parseCheckpoint rejects malformed notes', () => {
  const { privateKey } = generateKeyPairSync('ed25519')
  const good = signCheckpoint({ origin: 'o', treeSize: 1, rootHash: root }, { name: 'n', privateKey })
  it.each([
    ['no blank line', good.replace('\n\n', '\n')],
    ['missing trailing newline', good.slice(0, -1)],
    ['non-decimal size', good.replace('\n1\n', '\nx1\n')],
    ['leading-zero size', good.replace('\n1\n', '\n01\n')],
    ['short root', good.replace(Buffer.from(root).toString('base64'), 'AAAA')],
    ['no signatures', good.slice(0, good.indexOf('\n\n') + 2)],
    ['signature line without em dash', good.replace('\u2014', '-')],
    ['signature too short', good.replace(/\u2014 n .*\n$/, '\u2014 n AAAA\n')],
    ['only two body lines', 'o\n1\n\n\u2014 n AAAAAAAA\n'],
  ])('%s', (_label, note) => {
    expect(() => parseCheckpoint(note)).toThrowError(
      expect.objectContaining({ code: 'REKOR_CHECKPOINT_INVALID' }),
    )
  })
  it('refuses to sign bad content', () => {
    expect(() =>
      signCheckpoint({ origin: 'a\nb', treeSize: 1, rootHash: root }, { name: 'n', privateKey }),
    ).toThrowError(expect.objectContaining({ code: 'REKOR_INVALID_INPUT' }))
    expect(() =>
      signCheckpoint({ origin: 'a', treeSize: -1, rootHash: root }, { name: 'n', privateKey }),
    ).toThrowError(expect.objectContaining({ code: 'REKOR_INVALID_INPUT' }))
    expect(() =>
      signCheckpoint({ origin: 'a', treeSize: 1, rootHash: root.slice(1) }, { name: 'n', privateKey }),
    ).toThrowError(expect.objectContaining({ code: 'REKOR_INVALID_INPUT' }))
    expect(() =>
      signCheckpoint({ origin: 'a', treeSize: 1, rootHash: root }, { name: 'two words', privateKey }),
    ).toThrowError(expect.objectContaining({ code: 'REKOR_INVALID_INPUT' }))
  })
})
