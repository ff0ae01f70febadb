import { describe, expect, it } from 'vitest'
import { StorageError } from './errors.js'
import {
  decodePageCursor,
  encodePageCursor,
  entryUuidKey,
  normalizeNewSignedArtifact,
} from './record-validation.js'

describe('page cursors', () => {
  it('round-trip and are plain base64url JSON', () => {
    const cursor = { time: 1_767_225_600_123, id: '00000000-0000-4000-8000-000000000001' }
    const encoded = encodePageCursor(cursor)
    expect(encoded).toBe(Buffer.from(JSON.stringify([cursor.time, cursor.id])).toString('base64url'))
    expect(decodePageCursor(encoded)).toEqual(cursor)
  })

  it.each([
    '',
    '!!!',
    Buffer.from('{"a":1}').toString('base64url'),
    Buffer.from('[1.5,"00000000-0000-4000-8000-000000000001"]').toString('base64url'),
  ])('rejects %j with STORAGE_INVALID_QUERY', (value) => {
    expect(() => decodePageCursor(value)).toThrowError(
      expect.objectContaining({ code: 'STORAGE_INVALID_QUERY' }),
    )
  })
})

describe('normalizeNewSignedArtifact', () => {
  it('lower-cases hashes and ids, keeps JSON key order and drops undefined', () => {
    const record = normalizeNewSignedArtifact(
      {
        id: 'AAAAAAAA-0000-4000-8000-000000000001',
        artifactHash: `sha256:${'AB'.repeat(32)}`,
        artifactType: 'file',
        subject: 's',
        signature: 'x',
        bundle: { b: 1, a: undefined as unknown as null, c: [1] },
      },
      new Date(1000.7),
    )
    expect(record.id).toBe('aaaaaaaa-0000-4000-8000-000000000001')
    expect(record.artifactHash).toBe(`sha256:${'ab'.repeat(32)}`)
    expect(JSON.stringify(record.bundle)).toBe('{"b":1,"c":[1]}')
    expect(record.createdAt.getTime()).toBe(1000)
    expect('certificate' in record).toBe(false)
  })

  it('reports every bad field', () => {
    try {
      normalizeNewSignedArtifact({
        artifactHash: 'x',
        artifactType: 'file',
        subject: '',
        signature: 'x',
        bundle: {},
      })
      expect.unreachable()
    } catch (error) {
      expect(StorageError.is(error, 'STORAGE_INVALID_RECORD')).toBe(true)
      const paths = ((error as StorageError).details.issues as Array<{ path: string }>).map(
        (issue) => issue.path,
      )
      expect(paths).toEqual(['artifactHash', 'subject'])
    }
  })

  it('entry uuid key is the 64-hex uuid part of an 80-hex entry id', () => {
    expect(entryUuidKey(`${'1'.repeat(16)}${'a'.repeat(64)}`)).toBe('a'.repeat(64))
    expect(entryUuidKey('B'.repeat(64))).toBe('b'.repeat(64))
  })
})
