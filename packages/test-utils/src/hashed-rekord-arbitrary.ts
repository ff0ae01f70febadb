import fc from 'fast-check'

/** A well-formed hashedrekord 0.0.1 entry, as a client proposes it and a log stores it (base64 and hex values). */
const wellFormed = {
  apiVersion: fc.constant('0.0.1'),
  kind: fc.constant('hashedrekord'),
  algorithm: fc.constantFrom('sha256', 'sha384', 'sha512'),
  digest: fc.stringMatching(/^[0-9a-f]{1,128}$/),
  signature: fc.base64String({ minLength: 4, maxLength: 96 }),
  publicKey: fc.base64String({ minLength: 4, maxLength: 96 }),
}

// A leaf is usually well-formed, sometimes another value that a schema may or may not take.
const maybeSpoilt = <T>(good: fc.Arbitrary<T>, spoil: boolean): fc.Arbitrary<unknown> =>
  spoil
    ? fc.oneof(
        { weight: 5, arbitrary: good },
        { weight: 1, arbitrary: fc.constantFrom(undefined, null, '', 0, [], {}, 'SHA256', '0.0.2', 'dsse') },
        { weight: 1, arbitrary: fc.anything() },
      )
    : good

// Objects sometimes carry unknown members (which schemas drop) and are sometimes replaced by a non-object.
const objectOf = (members: Record<string, unknown>, spoil: boolean): fc.Arbitrary<unknown> => {
  const record = (spoil ? fc.dictionary(fc.string(), fc.anything(), { maxKeys: 2 }) : fc.constant({})).map(
    (extra) => ({ ...extra, ...members }),
  )
  return spoil ? fc.oneof({ weight: 8, arbitrary: record }, { weight: 1, arbitrary: fc.anything() }) : record
}

/**
 * hashedrekord 0.0.1 entries for property tests of code that reads them without zod: with `spoil`, any leaf may be
 * missing, empty or of another type, any object may carry unknown members or be something else; without, every entry
 * is well-formed (non-empty strings, lower-case hex digest).
 */
export function hashedRekordEntries(options: { spoil: boolean }): fc.Arbitrary<unknown> {
  const { spoil } = options
  const leaves = Object.fromEntries(
    Object.entries(wellFormed).map(([name, good]) => [name, maybeSpoilt<unknown>(good, spoil)]),
  ) as Record<keyof typeof wellFormed, fc.Arbitrary<unknown>>
  return fc.record(leaves).chain((leaf) =>
    fc
      .tuple(
        objectOf({ algorithm: leaf.algorithm, value: leaf.digest }, spoil),
        objectOf({ content: leaf.publicKey }, spoil),
      )
      .chain(([hash, publicKey]) =>
        fc.tuple(objectOf({ hash }, spoil), objectOf({ content: leaf.signature, publicKey }, spoil)),
      )
      .chain(([data, signature]) => objectOf({ data, signature }, spoil))
      .chain((spec) => objectOf({ apiVersion: leaf.apiVersion, kind: leaf.kind, spec }, spoil)),
  )
}
