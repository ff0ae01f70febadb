/** Digest algorithms Rekor's hashedrekord 0.0.1 accepts. */
export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512'

/** Each {@link HashAlgorithm}'s digest length in bytes. */
export const DIGEST_LENGTH: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 }
