import { describe, expect, it } from 'vitest'
import { endpointOverrideFromEnv, GCP_KMS_ENDPOINT_OVERRIDE_ENV } from '../src/endpoint.js'

const read = (value: string | undefined) =>
  endpointOverrideFromEnv({ [GCP_KMS_ENDPOINT_OVERRIDE_ENV]: value })

describe('CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS', () => {
  it('turns gcloud-style override URLs into client options', () => {
    expect(read(undefined)).toBeUndefined()
    expect(read('  ')).toBeUndefined()
    expect(read('https://cloudkms-psc.p.googleapis.com/')).toEqual({
      apiEndpoint: 'cloudkms-psc.p.googleapis.com',
      port: 443,
      protocol: 'https',
    })
    expect(read('http://127.0.0.1:8089/')).toEqual({ apiEndpoint: '127.0.0.1', port: 8089, protocol: 'http' })
    expect(read('http://[::1]:9/')).toEqual({ apiEndpoint: '::1', port: 9, protocol: 'http' })
  })

  it('refuses clear text to a remote host, credentials in the URL and non-URLs', () => {
    for (const bad of [
      'http://cloudkms.googleapis.com/',
      'https://user:secret@cloudkms.googleapis.com/',
      'cloudkms.googleapis.com',
      'ftp://127.0.0.1/',
    ]) {
      let caught: unknown
      try {
        read(bad)
      } catch (error) {
        caught = error
      }
      expect(caught, bad).toMatchObject({ code: 'KMS_INVALID_URI' })
      expect(String((caught as Error).message)).not.toContain('secret')
    }
  })
})
