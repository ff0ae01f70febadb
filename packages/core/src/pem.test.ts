import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fromPem, toPem } from './pem.js'

describe('PEM', () => {
  it('writes what node:crypto writes and reads it back', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const der = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
    const pem = toPem('PUBLIC KEY', der)
    expect(pem).toBe(publicKey.export({ type: 'spki', format: 'pem' }))
    expect(pem.split('\n').every((line) => line.length <= 64)).toBe(true)
    expect(fromPem(pem)).toEqual({ label: 'PUBLIC KEY', der })
  })

  it('reads the first block of text with other lines around it, and refuses what is not PEM', () => {
    const der = new Uint8Array(Array.from({ length: 100 }, (_, index) => index))
    const text = `leading text\n${toPem('CERTIFICATE', der)}${toPem('PUBLIC KEY', new Uint8Array([1]))}`
    expect(fromPem(text)).toEqual({ label: 'CERTIFICATE', der })
    expect(fromPem('no pem here')).toBeUndefined()
    expect(fromPem('-----BEGIN X-----\n!!!!\n-----END X-----\n')).toBeUndefined()
    expect(fromPem('-----BEGIN X-----\nAAAA\n-----END Y-----\n')).toBeUndefined()
    expect(fromPem(42 as unknown as string)).toBeUndefined()
  })
})
