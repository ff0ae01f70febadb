import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  findKeyDetails,
  KEY_DETAILS_RULES,
  type KeyDetailsRule,
  keyDetailsRule,
  keyMatchesKeyDetails,
  type PublicKeyDetails,
} from './key-details.js'

const keys = new Map<string, KeyObject>()
/** One public key per (type, curve, size), generated once. */
function keyFor(rule: KeyDetailsRule): KeyObject {
  const id = `${rule.type}/${rule.curve ?? ''}/${rule.modulusLength ?? ''}`
  let key = keys.get(id)
  if (!key) {
    key =
      rule.type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: rule.curve! }).publicKey
        : rule.type === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: rule.modulusLength! }).publicKey
          : generateKeyPairSync('ed25519').publicKey
    keys.set(id, key)
  }
  return key
}

const entries = Object.entries(KEY_DETAILS_RULES) as [PublicKeyDetails, KeyDetailsRule][]

describe('the one key-details table', () => {
  it('maps every current name to its key and back again (key → name → rule agree)', () => {
    for (const [name, rule] of entries) {
      const key = keyFor(rule)
      expect(keyMatchesKeyDetails(key, rule), name).toBe(true)
      const found = findKeyDetails(key, { hash: rule.hash, rsaPss: rule.rsaPss })
      // Deprecated names too: P-384 signing SHA-256 has no current name, so the deprecated one is found.
      expect(found, name).toBe(name)
      expect(keyDetailsRule(name)).toBe(rule)
    }
  }, 60_000)

  it('never matches a key of another type, curve or size', () => {
    for (const [name, rule] of entries) {
      for (const [otherName, other] of entries) {
        const sameKind =
          rule.type === other.type && rule.curve === other.curve && rule.modulusLength === other.modulusLength
        if (!sameKind)
          expect(keyMatchesKeyDetails(keyFor(other), rule), `${name} vs ${otherName}`).toBe(false)
      }
    }
  }, 60_000)

  it('has no name for what Sigstore does not name, and knows no other strings', () => {
    const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey
    expect(findKeyDetails(secp256k1, { hash: 'sha256' })).toBeUndefined()
    expect(
      findKeyDetails(keyFor(KEY_DETAILS_RULES.PKIX_RSA_PSS_2048_SHA256), { hash: 'sha512' }),
    ).toBeUndefined()
    for (const name of ['', 'PKIX_ECDSA_P256', 'toString', '__proto__', 'hasOwnProperty'])
      expect(keyDetailsRule(name)).toBeUndefined()
  })
})
