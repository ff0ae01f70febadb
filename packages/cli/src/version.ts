/** The CLI's version, injected by tsup at build time (falls back when run from sources in tests). */
declare const __CERTUS_CLI_VERSION__: string | undefined
export const VERSION: string =
  typeof __CERTUS_CLI_VERSION__ === 'string' ? __CERTUS_CLI_VERSION__ : '0.0.0-dev'
