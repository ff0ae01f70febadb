import { hashedRekordEntries } from '@certus-trust/test-utils/hashed-rekord-arbitrary'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HashedRekordBodySchema, parseEntryBody } from './entry-body.js'
import { readHashedRekordShape } from './hashed-rekord-shape.js'

const base64Json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64')

describe('readHashedRekordShape (hashedrekord without zod)', () => {
  it('reads every well-formed entry, dropping nothing the stored-body schema keeps', () => {
    fc.assert(
      fc.property(hashedRekordEntries({ spoil: false }), (entry) => {
        const read = readHashedRekordShape(entry)
        expect(read).toBeDefined()
        expect(read).toEqual(HashedRekordBodySchema.parse(entry))
      }),
      { numRuns: 300 },
    )
  })

  it('never accepts what the stored-body schema rejects, and returns what it returns', () => {
    let read = 0
    let declined = 0
    fc.assert(
      fc.property(hashedRekordEntries({ spoil: true }), (entry) => {
        const fast = readHashedRekordShape(entry)
        const schema = HashedRekordBodySchema.safeParse(entry)
        if (fast === undefined) {
          declined++
          return
        }
        read++
        // parseEntryBody adds the schema's lower-case hex rule to the shape; the rest must agree exactly.
        if (!/^[0-9a-f]+$/.test(fast.spec.data.hash.value)) return
        expect(schema.success).toBe(true)
        expect(fast).toEqual(schema.data)
      }),
      { numRuns: 3000 },
    )
    // Both outcomes occur, so neither assertion above is vacuous.
    expect(read).toBeGreaterThan(100)
    expect(declined).toBeGreaterThan(100)
  })

  it('parseEntryBody answers alike with and without the zod-free path', () => {
    fc.assert(
      fc.property(hashedRekordEntries({ spoil: true }), (entry) => {
        const schema = HashedRekordBodySchema.safeParse(JSON.parse(JSON.stringify(entry) ?? 'null'))
        let parsed: unknown
        let error: unknown
        try {
          parsed = parseEntryBody(base64Json(entry))
        } catch (caught) {
          error = caught
        }
        if (schema.success) expect(parsed).toEqual(schema.data)
        else expect(error).toMatchObject({ code: 'REKOR_BODY_INVALID' })
      }),
      { numRuns: 1000 },
    )
  })

  it('returns a new object, not the input', () => {
    const entry = fc.sample(hashedRekordEntries({ spoil: false }), 1)[0]
    const read = readHashedRekordShape(entry)
    expect(read).not.toBe(entry)
    expect((read as { spec: unknown }).spec).not.toBe((entry as { spec: unknown }).spec)
  })
})
