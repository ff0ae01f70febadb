import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { copyJson } from './copy-json.js'

const roundTrip = (value: unknown) => {
  const text = JSON.stringify(value)
  return text === undefined ? undefined : JSON.parse(text)
}

describe('copyJson', () => {
  it('returns what the JSON round trip returns, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(copyJson(value)).toStrictEqual(roundTrip(value))
      }),
    )
  })

  it('returns what the JSON round trip returns for anything JSON.stringify accepts (dates, undefined, NaN, -0…)', () => {
    fc.assert(
      fc.property(
        fc.anything({ withDate: true, withNullPrototype: true, withSparseArray: true }),
        (value) => {
          let expected: unknown
          try {
            expected = roundTrip(value)
          } catch (error) {
            expect(() => copyJson(value)).toThrow((error as Error).constructor as new () => Error)
            return
          }
          expect(copyJson(value)).toStrictEqual(expected)
        },
      ),
    )
  })

  it('copies: changing the copy leaves the original alone', () => {
    const original = { a: [{ b: 'c' }], d: { e: 1 } }
    const copy = copyJson(original) as typeof original
    copy.a[0]!.b = 'changed'
    copy.d.e = 2
    expect(original).toEqual({ a: [{ b: 'c' }], d: { e: 1 } })
  })

  it('follows JSON where it differs from a structural copy', () => {
    expect(Object.is(copyJson(-0), 0)).toBe(true)
    expect(copyJson({ when: new Date(0) })).toEqual({ when: '1970-01-01T00:00:00.000Z' })
    expect(copyJson({ value: { toJSON: () => 'x' } })).toEqual({ value: 'x' })
    expect(copyJson([1, undefined, Number.NaN])).toEqual([1, null, null])
    expect(copyJson({ skipped: undefined, kept: 1 })).toStrictEqual({ kept: 1 })
    expect(copyJson(undefined)).toBeUndefined()
    const withProtoKey = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>
    const copy = copyJson(withProtoKey) as Record<string, unknown>
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.hasOwn(copy, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('throws what JSON.stringify throws for a cycle or a BigInt', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expect(() => copyJson(cyclic)).toThrow(TypeError)
    expect(() => copyJson({ big: 1n })).toThrow(TypeError)
  })

  it('copies deep nesting through the JSON round trip', () => {
    let deep: unknown = 'leaf'
    for (let level = 0; level < 500; level++) deep = [deep]
    expect(copyJson(deep)).toStrictEqual(roundTrip(deep))
  })
})
