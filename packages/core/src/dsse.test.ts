import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { preAuthEncoding } from './dsse.js'

describe('preAuthEncoding', () => {
  it('matches the DSSE protocol example', () => {
    // The worked example of the DSSE protocol document.
    const pae = preAuthEncoding('http://example.com/HelloWorld', new TextEncoder().encode('hello world'))
    expect(Buffer.from(pae).toString('utf8')).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world')
  })

  it('counts bytes, not UTF-16 code units, for non-ASCII types and payloads', () => {
    const pae = preAuthEncoding('application/ü', new TextEncoder().encode('é'))
    expect(Buffer.from(pae).toString('utf8')).toBe('DSSEv1 14 application/ü 2 é')
  })

  it('is injective: different (type, payload) pairs never share an encoding', () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array(), fc.string(), fc.uint8Array(), (t1, p1, t2, p2) => {
        // Types compared as the UTF-8 the encoding uses (a lone surrogate becomes U+FFFD, as in TextEncoder).
        const sameType = Buffer.from(t1).equals(Buffer.from(t2))
        fc.pre(!sameType || !Buffer.from(p1).equals(Buffer.from(p2)))
        const a = createHash('sha256').update(preAuthEncoding(t1, p1)).digest('hex')
        const b = createHash('sha256').update(preAuthEncoding(t2, p2)).digest('hex')
        expect(a).not.toBe(b)
      }),
    )
  })
})
