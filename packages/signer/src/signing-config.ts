// `@certus-trust/signer/signing-config`: Sigstore SigningConfig v0.2 — parse, load (file, value or TUF), select
// services, turn the selection into witnesses. The main entry keeps `loadSigningConfig` and `SigningConfig` for
// `createSigner({ signingConfig })`; the rest is here, for callers who inspect or select services themselves.
export type { ConfigWitnessOptions } from './config-witnesses.js'
export { witnessesFromSigningConfig } from './config-witnesses.js'
export type {
  SelectedServices,
  SelectServicesOptions,
  ServiceSelector,
  SigningConfig,
  SigningConfigService,
  SigningConfigSource,
} from './signing-config/config.js'
export {
  loadSigningConfig,
  parseSigningConfig,
  SIGNING_CONFIG_MEDIA_TYPE,
  selectServices,
} from './signing-config/config.js'
