import { normalizePem } from './entry-body.js'

/** Signatures a ledger keeps waiting for their log entry; older ones are forgotten first. */
export const OWN_SIGNATURES_CAPACITY = 4096

/**
 * The signatures this process has just produced with its own key, waiting for its own embedded log.
 *
 * Verifying a signature that this very process made a moment ago proves nothing new, and for a bare digest it
 * is the most expensive step of an append. So the signer records each signature it makes (digest, signature,
 * key) here, and the embedded log — opened with the same ledger — skips its own check for an entry that records
 * exactly such a triple, consuming it. This is an internal path, not a flag: the log consults its ledger only when
 * `createEntry` is handed that same ledger object (identity, never a value from a request), so entries that arrive
 * through the Rekor API or from any other caller are always verified. A triple is taken once; one the log never
 * asks for ages out after {@link OWN_SIGNATURES_CAPACITY} newer ones.
 */
export class OwnSignatures {
  readonly #pending = new Set<string>()
  readonly #pemCache = new Map<string, string>()

  /** Records a signature this process just produced over `digest` (hex, lower case) with `publicKeyPem`. */
  record(algorithm: string, digestHex: string, signature: Uint8Array, publicKeyPem: string): void {
    this.#pending.add(
      this.#key(algorithm, digestHex, Buffer.from(signature).toString('base64'), publicKeyPem),
    )
    if (this.#pending.size > OWN_SIGNATURES_CAPACITY) {
      const oldest = this.#pending.values().next().value
      if (oldest !== undefined) this.#pending.delete(oldest)
    }
  }

  /** True, once, when exactly this triple was recorded (signature as base64, key as PEM). */
  take(algorithm: string, digestHex: string, signatureBase64: string, publicKeyPem: string): boolean {
    const key = this.#key(algorithm, digestHex, signatureBase64, publicKeyPem)
    return this.#pending.delete(key)
  }

  /** Signatures recorded and not yet taken (for tests). */
  get size(): number {
    return this.#pending.size
  }

  #key(algorithm: string, digestHex: string, signatureBase64: string, publicKeyPem: string): string {
    let pem = this.#pemCache.get(publicKeyPem)
    if (pem === undefined) {
      // PEM line wrapping is not part of the key: compare the canonical form the entry body records.
      pem = normalizePem(publicKeyPem)
      if (this.#pemCache.size >= 16) this.#pemCache.clear()
      this.#pemCache.set(publicKeyPem, pem)
    }
    return `${algorithm}:${digestHex.toLowerCase()}\n${signatureBase64}\n${pem}`
  }
}
