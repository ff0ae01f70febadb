import { createPublicKey } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type KmsStandIn, startKmsStandIn } from '@certus-trust/kms-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certus, json, tempDir } from './helpers.js'

// The built CLI with each vendor's real SDK, finding the service and its credentials the way that SDK does in
// production (gcloud's endpoint override + workload identity, the Azure CLI credential, VAULT_ADDR/VAULT_TOKEN),
// against a local stand-in for the service's API. awskms:// has its own file (kms.test.ts).
describe.each(['gcpkms', 'azurekms', 'hashivault'] as const)(
  'KMS keys on the command line (%s://)',
  (scheme) => {
    let kms: KmsStandIn
    let dir: { path: string; cleanup: () => Promise<void> }
    let p: (name: string) => string
    // Opening the embedded log's data directory is slow on a loaded machine; each command gets room.
    const run = (args: string[]) => certus(args, { env: kms.env, timeout: 240_000 })

    beforeAll(async () => {
      kms = await startKmsStandIn(scheme)
      dir = await tempDir()
      p = (name) => join(dir.path, name)
      await writeFile(p('a.txt'), 'the artifact\n')
      await writeFile(p('predicate.json'), '{"buildType":"test"}\n')
    })
    afterAll(async () => {
      await kms?.close()
      await dir?.cleanup()
    })

    it('keygen --kms creates the key in the service; sign and attest with it verify against its public key', async () => {
      const uri = kms.uri('cli-release')
      const created = await run(['keygen', '--kms', uri, '--public-key', p('kms.pub'), '--json'])
      expect(created.code, created.stderr).toBe(0)
      expect(json(created)).toMatchObject({ ok: true, kms: uri, algorithm: 'ecdsa-p256' })
      const inService = kms.publicKey('cli-release')
      expect(inService, 'the key was created in the stand-in').toBeDefined()
      expect(createPublicKey(await readFile(p('kms.pub'))).equals(inService!)).toBe(true)

      const signed = await run(['sign', p('a.txt'), '--key', uri, '--data-dir', p('data'), '--json'])
      expect(signed.code, signed.stderr).toBe(0)
      const attested = await run([
        'attest',
        p('a.txt'),
        '--predicate',
        p('predicate.json'),
        '--predicate-type',
        'https://example.com/test-predicate/v1',
        '--key',
        uri,
        '--data-dir',
        p('data'),
      ])
      expect(attested.code, attested.stderr).toBe(0)
      const verified = await run(['verify', p('a.txt'), '--key', p('kms.pub'), '--data-dir', p('data')])
      expect(verified.code, verified.stdout + verified.stderr).toBe(0)
      await writeFile(p('b.txt'), 'another artifact\n')
      const other = await run(['verify', p('b.txt'), '--key', p('kms.pub'), '--data-dir', p('data')])
      expect(other.code).not.toBe(0)
      // The signatures came from the service, through the vendor's credential discovery.
      expect(kms.calls.some((call) => /sign/i.test(call))).toBe(true)
      if (scheme === 'gcpkms') expect(kms.calls).toContain('POST /v1/token')
    }, 900_000)

    it('fails before signing, with a typed error, for a key the service does not have', async () => {
      const missing = await run(['sign', p('a.txt'), '--key', kms.uri('missing'), '--data-dir', p('data')])
      expect(missing.code, missing.stderr).toBe(3)
      expect(missing.stderr).toContain('KMS_NOT_FOUND')
    }, 300_000)

    // Only ADC has a lookup step that needs a network of its own.
    if (scheme === 'gcpkms')
      it('a credential lookup that cannot complete is a typed error, not a crash', async () => {
        // Without GOOGLE_CLOUD_PROJECT, ADC asks Cloud Resource Manager, which this machine cannot reach.
        const result = await certus(
          ['sign', p('a.txt'), '--key', kms.uri('cli-release'), '--data-dir', p('data')],
          { env: { ...kms.env, GOOGLE_CLOUD_PROJECT: undefined }, timeout: 240_000 },
        )
        expect(result.code, result.stderr).toBe(4)
        expect(result.stderr).toContain('KMS_UNREACHABLE')
        expect(result.stderr).not.toMatch(/\n\s+at /)
      }, 300_000)
  },
)
