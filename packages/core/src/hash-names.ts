/** The digests Sigstore formats name: `sha256`, `sha384`, `sha512` (node:crypto's names). */
export type SigstoreHash = 'sha256' | 'sha384' | 'sha512'

/** protobuf-specs `HashAlgorithm` names (bundles, Rekor v2 bodies) by node:crypto's names. */
export const PROTOBUF_HASH_NAMES: Readonly<Record<SigstoreHash, string>> = Object.freeze({
  sha256: 'SHA2_256',
  sha384: 'SHA2_384',
  sha512: 'SHA2_512',
})

/** node:crypto's name of a protobuf-specs `HashAlgorithm` name, or undefined for any other value. */
export function hashFromProtobufName(name: unknown): SigstoreHash | undefined {
  switch (name) {
    case 'SHA2_256':
      return 'sha256'
    case 'SHA2_384':
      return 'sha384'
    case 'SHA2_512':
      return 'sha512'
    default:
      return undefined
  }
}
