import { readFile } from 'node:fs/promises'
import type { Logger } from '@certus-trust/core'
import type { EntryCreator } from '@certus-trust/log-protocol'
import type { OwnSignatures } from '@certus-trust/log-protocol/entries'
import {
  createLocalKeyProvider,
  createSigner,
  loadSigningConfig,
  type Signer,
  type SigningThreads,
} from '@certus-trust/signer'
import type { ServiceConfig } from './config.js'
import { resolveSigningKey } from './keys.js'

/**
 * The signer the configuration names: keyless (Fulcio, identity token from the config or a file re-read for
 * every signature), else the signing key (a KMS key, or a PEM file generated on first use), recording entries
 * through `witness`, or through the logs and TSAs of `config.signingConfigPath` when it is set. With
 * `signingThreads`, a PEM key's digest signatures are made on those worker threads.
 */
export async function createConfiguredSigner(
  config: Pick<
    ServiceConfig,
    'keyless' | 'signingKeyPath' | 'tsaUrl' | 'upstreamTimeoutMs' | 'upstreamRetries'
  > &
    Partial<Pick<ServiceConfig, 'signingConfigPath' | 'rekorVersion'>>,
  witness: EntryCreator | 'none',
  logger?: Logger,
  ownSignatures?: OwnSignatures,
  signingThreads?: SigningThreads,
): Promise<Signer> {
  const timestampAuthority = config.tsaUrl
    ? { url: config.tsaUrl, timeout: config.upstreamTimeoutMs, retries: config.upstreamRetries }
    : undefined
  // A SigningConfig names the logs and TSAs itself; the configured witness is then not used for signing.
  const witnesses = config.signingConfigPath
    ? {
        signingConfig: await loadSigningConfig({ path: config.signingConfigPath }),
        ...(config.rekorVersion ? { rekorVersion: config.rekorVersion } : {}),
      }
    : { witness, ...(ownSignatures ? { ownSignatures } : {}) }
  const common = {
    ...witnesses,
    ...(timestampAuthority ? { timestampAuthority } : {}),
    ...(logger ? { logger } : {}),
  }
  if (config.keyless.enabled) {
    const { oidcToken, oidcTokenFile } = config.keyless
    return createSigner({
      keyless: {
        // A token file is re-read for every signature: workload identity tokens are rotated on disk.
        identityToken: oidcTokenFile
          ? async () => (await readFile(oidcTokenFile, 'utf8')).trim()
          : oidcToken!,
        fulcioUrl: config.keyless.fulcioUrl!,
        timeout: config.upstreamTimeoutMs,
        retries: config.upstreamRetries,
      },
      ...common,
    })
  }
  const key = await resolveSigningKey(config, logger)
  // A PEM key signs on the signing threads when there are any; a KMS key signs in its KMS.
  return createSigner({
    key: signingThreads && typeof key === 'string' ? createLocalKeyProvider(key, { signingThreads }) : key,
    ...common,
  })
}
