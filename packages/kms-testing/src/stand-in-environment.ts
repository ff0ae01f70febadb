import type { KeyObject } from 'node:crypto'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { startFakeAzureKeyVault } from './fake-azure-key-vault.js'
import { startFakeGcpKms } from './fake-gcp-kms.js'
import { startFakeVault } from './fake-vault.js'
import type { LocalServer } from './http-server.js'

/** A KMS stand-in and the environment a separate process (the CLI, the server) finds it and its credentials by. */
export interface KmsStandIn {
  scheme: 'gcpkms' | 'azurekms' | 'hashivault'
  /** The key URI of `name` (a key the stand-in has, or will create on `keygen --kms`). */
  uri(name: string): string
  /** Variables of the vendor's own discovery only: endpoint, credentials, trust — nothing of ours. */
  env: Record<string, string>
  /** Creates a signing key (ECDSA P-256) in the stand-in and returns its public key. */
  addKey(name: string): KeyObject
  /** The public key of an existing key. */
  publicKey(name: string): KeyObject | undefined
  /** `METHOD path` of every request the stand-in served. */
  calls: string[]
  server: LocalServer
  close(): Promise<void>
}

const GCP_RING = 'projects/certus/locations/global/keyRings/release'

/**
 * Starts a stand-in for a KMS and returns the environment that points the vendor SDK's own configuration at it:
 * - gcpkms: gcloud's endpoint override and Application Default Credentials from an `external_account` file
 *   (workload identity federation: a subject token in a file, exchanged at the stand-in's STS endpoint);
 * - azurekms: the vault by a `*.vault.azure.net` name (resolved to loopback by a preload), `DefaultAzureCredential` limited to `AzureCliCredential` by `AZURE_TOKEN_CREDENTIALS`, with an `az`
 *   on PATH that prints a token as `az account get-access-token` does, and the vault's certificate trusted through
 *   `NODE_EXTRA_CA_CERTS`;
 * - hashivault: `VAULT_ADDR` and `VAULT_TOKEN`, as the Vault CLI reads them.
 */
export async function startKmsStandIn(scheme: KmsStandIn['scheme']): Promise<KmsStandIn> {
  const dir = await mkdtemp(join(tmpdir(), `certus-${scheme}-`))
  const parts =
    scheme === 'gcpkms' ? await gcp(dir) : scheme === 'azurekms' ? await azure(dir) : await vault()
  return {
    scheme,
    ...parts,
    async close() {
      await parts.server.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

type Parts = Omit<KmsStandIn, 'scheme' | 'close'>

async function gcp(dir: string): Promise<Parts> {
  const kms = await startFakeGcpKms()
  kms.keyRings.add(GCP_RING)
  await writeFile(join(dir, 'subject-token'), 'eyJ.workload.identity')
  const credentials = {
    type: 'external_account',
    audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/certus',
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: `${kms.url}/v1/token`,
    credential_source: { file: join(dir, 'subject-token') },
  }
  await writeFile(join(dir, 'adc.json'), JSON.stringify(credentials))
  const cryptoKey = (name: string) => `${GCP_RING}/cryptoKeys/${name}`
  return {
    server: kms,
    calls: kms.calls,
    uri: (name) => `gcpkms://${cryptoKey(name)}`,
    env: {
      GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'adc.json'),
      // Otherwise ADC asks Cloud Resource Manager for the pool's project.
      GOOGLE_CLOUD_PROJECT: 'certus',
      CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS: `${kms.url}/`,
    },
    addKey: (name) => kms.versions.get(kms.addVersion(cryptoKey(name), 'EC_SIGN_P256_SHA256'))!.publicKey,
    publicKey: (name) => kms.versions.get(`${cryptoKey(name)}/cryptoKeyVersions/1`)?.publicKey,
  }
}

// Key Vault clients check that the vault's host is under the challenge's resource (`*.vault.azure.net`), so the
// stand-in is reached by such a name: a preload answers lookups of it with the loopback address, as a hosts-file
// entry would. Everything else resolves as usual.
const VAULT_HOST = 'certus-test.vault.azure.net'
const RESOLVE_VAULT_HOST = `import dns from 'node:dns'
const lookup = dns.lookup
dns.lookup = function (hostname, options, callback) {
  if (hostname !== '${VAULT_HOST}') return lookup.apply(this, arguments)
  const done = typeof options === 'function' ? options : callback
  const all = typeof options === 'object' && options !== null && options.all
  process.nextTick(() => (all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4)))
}
`

async function azure(dir: string): Promise<Parts> {
  const vault = await startFakeAzureKeyVault()
  await writeFile(join(dir, 'vault.pem'), vault.certificate)
  await writeFile(join(dir, 'resolve-vault-host.mjs'), RESOLVE_VAULT_HOST)
  // `az account get-access-token --output json --resource R` as Azure CLI 2.54+ prints it.
  await writeFile(
    join(dir, 'az'),
    '#!/bin/sh\necho \'{"accessToken":"eyJ.az.token","expiresOn":"2099-01-01 00:00:00.000000","expires_on":4070908800,"tokenType":"Bearer"}\'\n',
  )
  await chmod(join(dir, 'az'), 0o755)
  return {
    server: vault,
    calls: vault.calls,
    uri: (name) => `azurekms://${VAULT_HOST}:${vault.port}/${name}`,
    env: {
      AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential',
      PATH: `${dir}${delimiter}${process.env.PATH ?? ''}`,
      NODE_EXTRA_CA_CERTS: join(dir, 'vault.pem'),
      NODE_OPTIONS:
        `${process.env.NODE_OPTIONS ?? ''} --import=${join(dir, 'resolve-vault-host.mjs')}`.trim(),
    },
    addKey: (name) => vault.addKey(name, 'EC', 'P-256').publicKey,
    publicKey: (name) => vault.keys.get(name)?.at(-1)?.publicKey,
  }
}

async function vault(): Promise<Parts> {
  const fake = await startFakeVault()
  return {
    server: fake,
    calls: fake.calls,
    uri: (name) => `hashivault://${name}`,
    env: { VAULT_ADDR: fake.url, VAULT_TOKEN: fake.token },
    addKey: (name) => fake.addKey(name, 'ecdsa-p256').publicKey,
    publicKey: (name) => fake.keys.get(name)?.at(-1)?.publicKey,
  }
}
