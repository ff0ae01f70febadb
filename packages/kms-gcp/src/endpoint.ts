import { KmsError } from '@certus-trust/kms'

/**
 * gcloud's endpoint override for Cloud KMS (`gcloud config set api_endpoint_overrides/cloudkms URL`, or this
 * environment variable): how private Service Connect endpoints and regional endpoints are reached.
 */
export const GCP_KMS_ENDPOINT_OVERRIDE_ENV = 'CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS'

/** The client options an endpoint override URL stands for. */
export interface GcpEndpointOptions {
  apiEndpoint: string
  port: number
  protocol: 'http' | 'https'
}

/**
 * Reads the endpoint override from the environment (`https://cloudkms.example.p.googleapis.com/`, with an optional
 * port; `http://` only for a loopback host, so a typo cannot send signing requests in clear text).
 * @returns undefined when the variable is unset or empty
 * @throws KmsError `KMS_INVALID_URI` for a value that is not such a URL
 */
export function endpointOverrideFromEnv(
  env: Record<string, string | undefined> = process.env,
): GcpEndpointOptions | undefined {
  const value = env[GCP_KMS_ENDPOINT_OVERRIDE_ENV]?.trim()
  if (!value) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid()
  }
  const protocol = url.protocol.slice(0, -1)
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  if (!(protocol === 'https' || (protocol === 'http' && loopback)) || url.username || url.password) {
    throw invalid()
  }
  const port = url.port ? Number(url.port) : protocol === 'https' ? 443 : 80
  return { apiEndpoint: url.hostname.replace(/^\[|\]$/g, ''), port, protocol }
}

// The value is not echoed: a mistyped URL may carry credentials.
function invalid(): KmsError {
  return new KmsError({
    code: 'KMS_INVALID_URI',
    message: `${GCP_KMS_ENDPOINT_OVERRIDE_ENV} must be an https:// URL without credentials (http:// only for a loopback host)`,
  })
}
