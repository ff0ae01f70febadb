// Fuzzing the DER reader and the certificate parser: random and mutated inputs must end in a typed error
// (DerError / X509Error) or a result — never another exception, never a hang.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { children, DerError, type DerNode, decodeOid, decodeTime, readDer } from '../src/der.js'
import { fulcioExtensions, parseCertificate, subjectAltNames, X509Error } from '../src/x509.js'
import { pki } from './helpers/pki.js'

/** Walks every constructed element and decodes every OID and time it meets. */
function walk(node: DerNode, depth = 0): number {
  if (depth > 64) return 1
  if (node.tag === 0x06) decodeOid(node)
  if (node.tag === 0x17 || node.tag === 0x18) decodeTime(node)
  if ((node.tag & 0x20) === 0) return 1
  let count = 1
  for (const child of children(node)) count += walk(child, depth + 1)
  return count
}

function typedOnly(action: () => unknown, ...allowed: Array<{ is(value: unknown): boolean }>): void {
  const started = performance.now()
  try {
    action()
  } catch (error) {
    if (!allowed.some((kind) => kind.is(error)))
      throw new Error(`untyped failure: ${String(error)}`, { cause: error })
    expect((error as { code: string }).code).toMatch(/^(DER|X509)_[A-Z_]+$/)
  }
  expect(performance.now() - started).toBeLessThan(250)
}

const certificateBytes = [pki().leaf, pki().intermediate, pki().root]

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), value: fc.constant(0) }),
)

function mutate(bytes: Buffer, steps: Array<{ kind: string; at: number; value: number }>): Buffer {
  let result = Buffer.from(bytes)
  for (const step of steps) {
    const at = step.at % Math.max(1, result.length)
    if (step.kind === 'flip') result[at] = step.value
    else if (step.kind === 'insert')
      result = Buffer.concat([result.subarray(0, at), Buffer.of(step.value), result.subarray(at)])
    else if (step.kind === 'delete') result = Buffer.concat([result.subarray(0, at), result.subarray(at + 1)])
    else result = result.subarray(0, at)
  }
  return result
}

function parseAll(bytes: Buffer): void {
  const certificate = parseCertificate(bytes)
  subjectAltNames(certificate)
  fulcioExtensions(certificate)
}

describe('DER reader fuzz', () => {
  it('random bytes: only DerError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
        typedOnly(() => walk(readDer(bytes)), DerError),
      ),
      { numRuns: 3000 },
    )
  })

  it('random TLV-shaped bytes (plausible tags and lengths): only DerError', () => {
    const tlvish = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            0x30,
            0x31,
            0x02,
            0x03,
            0x04,
            0x06,
            0x17,
            0x18,
            0xa0,
            0xa3,
            0x80,
            0x81,
            0x82,
            0x84,
            0xff,
            0x00,
          ),
          fc.integer({ min: 0, max: 255 }),
        ),
        { maxLength: 256 },
      )
      .map((values) => Uint8Array.from(values))
    fc.assert(
      fc.property(tlvish, (bytes) => typedOnly(() => walk(readDer(bytes)), DerError)),
      { numRuns: 3000 },
    )
  })

  it('hostile lengths end fast with a typed error', () => {
    for (const bytes of [
      [0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
      [0x30, 0x85, 1, 0, 0, 0, 0],
      [0x30, 0x80, 0, 0],
      [0x30, 0x81, 0x05, 1, 2, 3, 4, 5],
      [0x30, 0x82, 0x00, 0x85, ...new Array(0x85).fill(0)],
      [0x06, 0x81, 0x90, ...new Array(0x90).fill(0xff)],
      [0x1f, 0x01, 0x00],
    ]) {
      expect(() => walk(readDer(Uint8Array.from(bytes)))).toThrow(DerError)
    }
  })
})

describe('certificate parser fuzz', () => {
  it('mutated certificates: a result or an X509Error, nothing else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...certificateBytes),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (bytes, steps) => typedOnly(() => parseAll(mutate(bytes, steps)), X509Error),
      ),
      { numRuns: 3000 },
    )
  })

  it('random bytes: X509Error only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) =>
        typedOnly(() => parseAll(Buffer.from(bytes)), X509Error),
      ),
      { numRuns: 2000 },
    )
  })
})
