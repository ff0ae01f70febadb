import { describe, expect, it } from 'vitest'
import { hashFromProtobufName, PROTOBUF_HASH_NAMES } from './hash-names.js'

describe('protobuf hash names', () => {
  it('map both ways and refuse anything else', () => {
    for (const [hash, name] of Object.entries(PROTOBUF_HASH_NAMES))
      expect(hashFromProtobufName(name)).toBe(hash)
    for (const other of ['SHA3_256', 'sha256', '', undefined, 'constructor', 'toString'])
      expect(hashFromProtobufName(other)).toBeUndefined()
  })
})
