import { describe, expect, it } from 'vitest'
import { KmsError } from './errors.js'
import { createKmsKey, kmsSchemeOf, resolveKeyProvider } from './key-uri.js'
import type { KmsKeyProvider } from './remote-key-provider.js'

const fakeProvider = { keyName: 'fake' } as KmsKeyProvider

describe('resolveKeyProvider', () => {
  it('recognises the four cosign schemes and nothing else', () => {
    expect(kmsSchemeOf('awskms:///alias/x')).toBe('awskms')
    expect(kmsSchemeOf('gcpkms://projects/p')).toBe('gcpkms')
    expect(kmsSchemeOf('azurekms://v.vault.azure.net/k')).toBe('azurekms')
    expect(kmsSchemeOf('hashivault://k')).toBe('hashivault')
    for (const other of ['key.pem', './awskms://x', 'https://x', 'pkcs11://x', 'AWSKMS://x']) {
      expect(kmsSchemeOf(other), other).toBeUndefined()
    }
  })

  it("loads the scheme's package through the caller's loader and passes the options on", async () => {
    const loaded: string[] = []
    const seen: unknown[] = []
    const provider = await resolveKeyProvider('hashivault://release', {
      load: async (name) => {
        loaded.push(name)
        return {
          keyProviderFromUri: (uri: string, options: unknown) => {
            seen.push(uri, options)
            return fakeProvider
          },
        }
      },
      timeoutMs: 1234,
    })
    expect(provider).toBe(fakeProvider)
    expect(loaded).toEqual(['@certus-trust/kms-vault'])
    expect(seen).toEqual(['hashivault://release', { timeoutMs: 1234 }])
  })

  it('names the install command when the provider package is missing', async () => {
    const error = await resolveKeyProvider('awskms:///alias/x', {
      load: (name) => import(/* @vite-ignore */ `${name}-not-installed`),
    }).catch((caught: unknown) => caught)
    expect(KmsError.is(error, 'KMS_PROVIDER_NOT_INSTALLED')).toBe(true)
    expect((error as Error).message).toContain('npm install @certus-trust/kms-aws @aws-sdk/client-kms')
  })

  it('refuses other URIs, and creation where the package cannot create keys', async () => {
    await expect(resolveKeyProvider('file:///key.pem', { load: async () => ({}) })).rejects.toMatchObject({
      code: 'KMS_INVALID_URI',
    })
    await expect(
      resolveKeyProvider('awskms:///alias/x', { load: async () => ({ something: 1 }) }),
    ).rejects.toMatchObject({ code: 'KMS_PROVIDER_NOT_INSTALLED' })
    await expect(
      createKmsKey('awskms:///alias/x', { load: async () => ({ keyProviderFromUri: () => fakeProvider }) }),
    ).rejects.toMatchObject({ code: 'KMS_INVALID_URI' })
  })
})
