import { KmsError } from '@certus-trust/kms'

/** A parsed `gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/N]` URI. */
export interface GcpKeyUri {
  /** `projects/P/locations/L/keyRings/R/cryptoKeys/K` */
  cryptoKey: string
  /** `projects/P/locations/L/keyRings/R` */
  keyRing: string
  /** The crypto key's id (K). */
  keyId: string
  /** The version number, when the URI names one. */
  version?: string
}

const PATTERN =
  /^gcpkms:\/\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+)\/cryptoKeys\/([^/]+)(?:\/(?:cryptoKeyVersions|versions)\/(\d+))?$/

/**
 * Parses cosign's Google Cloud KMS key URI. Without a version, the newest enabled version is used (as cosign does).
 * @throws KmsError `KMS_INVALID_URI`
 */
export function parseGcpKeyUri(uri: string): GcpKeyUri {
  const match = typeof uri === 'string' ? PATTERN.exec(uri) : null
  if (!match) {
    throw new KmsError({
      code: 'KMS_INVALID_URI',
      message: 'expected gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/N]',
    })
  }
  const [, keyRing, keyId, version] = match as unknown as [string, string, string, string | undefined]
  return { keyRing, keyId, cryptoKey: `${keyRing}/cryptoKeys/${keyId}`, ...(version ? { version } : {}) }
}
