import { KmsError } from '@certus-trust/kms'

/** A parsed `awskms://[ENDPOINT]/KEY_ID_OR_ALIAS` URI. */
export interface AwsKeyUri {
  /** `host[:port]` of a KMS-compatible endpoint, when the URI names one. */
  endpoint?: string
  /** Key id, key ARN, `alias/NAME` or alias ARN, as KMS takes it in `KeyId`. */
  keyId: string
  /** The region of an ARN (else the SDK's usual discovery applies). */
  region?: string
}

const KEY_ID = /^(?:[-a-zA-Z0-9]+|alias\/[-_a-zA-Z0-9/]+)$/
const KEY_ARN = /^arn:aws(?:-[a-z]+)*:kms:([a-z0-9-]+):\d{12}:(?:key\/[-a-zA-Z0-9]+|alias\/[-_a-zA-Z0-9/]+)$/

/**
 * Parses cosign's AWS KMS key URI: `awskms:///KEY` for the default endpoint, `awskms://HOST[:PORT]/KEY` for
 * another one (a VPC endpoint, LocalStack).
 * @throws KmsError `KMS_INVALID_URI`
 */
export function parseAwsKeyUri(uri: string): AwsKeyUri {
  const match = typeof uri === 'string' ? /^awskms:\/\/([^/]*)\/(.+)$/.exec(uri) : null
  const endpoint = match?.[1]
  const keyId = match?.[2]
  const arn = keyId === undefined ? null : KEY_ARN.exec(keyId)
  if (keyId === undefined || (!arn && !KEY_ID.test(keyId))) {
    throw new KmsError({
      code: 'KMS_INVALID_URI',
      message: 'expected awskms://[ENDPOINT]/KEY where KEY is a key id, key ARN, alias/NAME or alias ARN',
    })
  }
  return {
    keyId,
    ...(endpoint ? { endpoint } : {}),
    ...(arn?.[1] ? { region: arn[1] } : {}),
  }
}

/**
 * The base URL for a URI's endpoint: https, except loopback hosts (a local emulator such as LocalStack), which
 * are spoken to over plain http.
 */
export function endpointUrl(endpoint: string): string {
  const host = endpoint.replace(/:\d+$/, '')
  const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
  return `${loopback ? 'http' : 'https'}://${endpoint}`
}
