import { describe, expect, it } from 'vitest'
import { DerError } from './der.js'
import {
  CertusError,
  CoreError,
  categoryOf,
  defineErrorClass,
  ERROR_CATEGORIES,
  type ErrorCategory,
} from './index.js'
import { X509Error } from './x509/errors.js'

type DemoCode = 'DEMO_A' | 'DEMO_B' | 'DEMO_WRAPPED'

class DemoError extends defineErrorClass<DemoCode>(
  'DemoError',
  { DEMO_A: 'invalid_input', DEMO_B: 'unavailable', DEMO_WRAPPED: 'internal' },
  (options) => (options.code === 'DEMO_WRAPPED' && options.details?.status === 404 ? 'not_found' : undefined),
) {}

describe('error classes', () => {
  it('guards by marker and code, serialises without cause', () => {
    const error = new DemoError({
      code: 'DEMO_A',
      message: 'doing a',
      cause: new Error('secret-ish'),
      details: { n: 1 },
    })
    expect(DemoError.is(error)).toBe(true)
    expect(DemoError.is(error, 'DEMO_B')).toBe(false)
    expect(CertusError.isCertusError(error)).toBe(true)
    expect(DemoError.is(new Error('x'))).toBe(false)
    expect(error.name).toBe('DemoError')
    expect(JSON.stringify(error)).not.toContain('secret-ish')
    expect(error.toJSON()).toEqual({
      name: 'DemoError',
      code: 'DEMO_A',
      message: 'doing a',
      details: { n: 1 },
    })
  })
})

describe('error categories', () => {
  it('takes each code’s category from the class table', () => {
    expect(new DemoError({ code: 'DEMO_A', message: 'a' }).category).toBe('invalid_input')
    expect(new DemoError({ code: 'DEMO_B', message: 'b' }).category).toBe('unavailable')
    expect(DemoError.categories).toEqual({
      DEMO_A: 'invalid_input',
      DEMO_B: 'unavailable',
      DEMO_WRAPPED: 'internal',
    })
    expect(Object.isFrozen(DemoError.categories)).toBe(true)
  })

  it('lets the owning class refine a category from details, and ignores a per-throw override', () => {
    expect(new DemoError({ code: 'DEMO_WRAPPED', message: 'w', details: { status: 404 } }).category).toBe(
      'not_found',
    )
    expect(new DemoError({ code: 'DEMO_WRAPPED', message: 'w', details: { status: 500 } }).category).toBe(
      'internal',
    )
    expect(new DemoError({ code: 'DEMO_A', message: 'a', category: 'conflict' }).category).toBe(
      'invalid_input',
    )
  })

  it('treats a code outside the table (types bypassed) as internal', () => {
    const error = new DemoError({ code: 'DEMO_C' as DemoCode, message: 'c' })
    expect(error.category).toBe('internal')
    expect(new DemoError({ code: 'toString' as DemoCode, message: 'c' }).category).toBe('internal')
  })

  it('rejects a table that misses a code at compile time', () => {
    // @ts-expect-error DEMO_B has no category
    const Incomplete = defineErrorClass<DemoCode>('Incomplete', {
      DEMO_A: 'invalid_input',
      DEMO_WRAPPED: 'internal',
    })
    expect(new Incomplete({ code: 'DEMO_B', message: 'b' }).category).toBe('internal')
  })

  it('categoryOf: a Certus error’s own category, internal for anything else', () => {
    expect(categoryOf(new DemoError({ code: 'DEMO_B', message: 'b' }))).toBe('unavailable')
    expect(categoryOf(new CertusError({ code: 'X', message: 'x' }))).toBe('internal')
    expect(categoryOf(new CertusError({ code: 'X', message: 'x', category: 'forbidden' }))).toBe('forbidden')
    expect(categoryOf(new Error('boom'))).toBe('internal')
    expect(categoryOf({ code: 'STORAGE_UNAVAILABLE' })).toBe('internal')
    expect(categoryOf(undefined)).toBe('internal')
    // A Certus error from a copy of core without categories.
    const old = new CertusError({ code: 'X', message: 'x' })
    Object.defineProperty(old, 'category', { value: 'made_up' })
    expect(categoryOf(old)).toBe('internal')
  })

  it('lists every category once, and core’s own classes cover their codes', () => {
    expect(new Set(ERROR_CATEGORIES).size).toBe(ERROR_CATEGORIES.length)
    const known = new Set<ErrorCategory>(ERROR_CATEGORIES)
    for (const table of [CoreError.categories, DerError.categories, X509Error.categories]) {
      for (const category of Object.values(table)) expect(known.has(category)).toBe(true)
    }
    expect(CoreError.categories.CORE_INVALID_DIGEST).toBe('invalid_input')
    expect(DerError.categories.DER_TRUNCATED).toBe('invalid_input')
    expect(X509Error.categories.X509_SIGNATURE_INVALID).toBe('verification_failed')
    expect(X509Error.categories.X509_MALFORMED).toBe('invalid_input')
  })
})
