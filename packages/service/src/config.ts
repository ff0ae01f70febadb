import type { StorageConfig } from './storage.js'

/** How entries reach a transparency log. */
export type TransparencyConfig = { mode: 'embedded' } | { mode: 'remote'; rekorUrl: string } | { mode: 'off' }

/** Where the public-good trusted root is refreshed from (`loadPublicGoodTrustedRoot`). */
export interface TufConfig {
  /** TUF mirror URL. */
  mirror: string
  /** The mirror's initial root.json, for a mirror whose root @sigstore/tuf does not ship. */
  rootPath?: string | undefined
  /** TUF metadata cache. @default `~/.cache/certus-trust/tuf` */
  cacheDir?: string | undefined
}

/** Keyless (Fulcio) signing settings. */
export interface KeylessConfig {
  enabled: boolean
  fulcioUrl?: string | undefined
  /** A fixed OIDC identity token. */
  oidcToken?: string | undefined
  /** A file holding the token, re-read for every signature (workload identity tokens rotate on disk). */
  oidcTokenFile?: string | undefined
}

/**
 * What {@link openTrustService} builds from: the part of the server's configuration that is not HTTP.
 * The server's `Config` extends it; embedding callers fill it in directly.
 */
export interface ServiceConfig {
  /** Absolute path of the data directory (keys, embedded database). */
  dataDir: string
  storage: StorageConfig
  /** PEM private key path; generated (mode 0600) on first start when missing. Unused with {@link signingKeyUri}. */
  signingKeyPath: string
  /**
   * KMS key URI (`awskms://`, `gcpkms://`, `azurekms://`, `hashivault://`): the key never leaves the KMS.
   * Undefined = the PEM file at {@link signingKeyPath}.
   */
  signingKeyUri?: string | undefined
  /**
   * Worker threads that make the PEM signing key's digest signatures (`sha256:` inputs) off the main thread, so a
   * busy server uses more than one core. 0 or undefined = sign on the main thread (right for one-shot commands).
   */
  signingThreads?: number | undefined
  /**
   * Worker threads (per verifier) that verify bundles off the main thread, so a busy server's `POST /v1/verify`
   * uses more than one core; online entry lookups stay on the main thread, where the log is. Started when a turn
   * queues 4 verifications or more. 0 or undefined = verify on the main thread (right for one-shot commands).
   */
  verifyThreads?: number | undefined
  /** Verifications one event-loop turn must queue before the verification threads start. @default 4 */
  verifyThreadsMinBatch?: number | undefined
  /** PEM private key of the embedded log (checkpoints, SETs); generated (mode 0600) when missing. */
  logKeyPath: string
  /**
   * PEM private key (ECDSA P-256) of the embedded Rekor v2 log, generated (mode 0600) when missing. Used only with
   * the embedded log; its storage sits beside the main storage (`rekorV2StorageConfig`). Undefined = no v2 log.
   */
  rekorV2KeyPath?: string | undefined
  /**
   * The embedded timestamp authority's keys and certificates (one JSON file, mode 0600); generated when missing.
   * Used only with the embedded log. Undefined = no embedded timestamp authority.
   */
  tsaKeyPath?: string | undefined
  /** Base URL the embedded log names in its trusted root. Undefined = tlog's default. */
  logBaseUrl?: string | undefined
  keyless: KeylessConfig
  transparency: TransparencyConfig
  tsaUrl?: string | undefined
  /**
   * A Sigstore SigningConfig v0.2 file: when set, signing records in the Rekor log(s) (v1 or v2) and timestamp
   * authorities it selects instead of through {@link transparency} (which still decides what the server serves).
   * Undefined = sign through {@link transparency}.
   */
  signingConfigPath?: string | undefined
  /** With {@link signingConfigPath}: use only Rekor logs of this major version. Undefined = the highest listed. */
  rekorVersion?: 1 | 2 | undefined
  /** Trusted root JSON for bundles from other logs and CAs. Undefined = the public-good root (see {@link tuf}). */
  trustedRootPath?: string | undefined
  /**
   * Without {@link trustedRootPath}: refresh the public-good trusted root through this TUF mirror at start-up
   * (falling back to the cache, then to the embedded snapshot, with a warning). Undefined = the embedded snapshot.
   */
  tuf?: TufConfig | undefined
  /**
   * Warn (at start-up) when the embedded public-good snapshot is used and older than this many days; 0 never.
   * @default 90
   */
  trustRootMaxAgeDays?: number | undefined
  /** Maximum PostgreSQL connections. */
  databasePoolSize: number
  /**
   * Bound on one PostgreSQL statement, enforced by the server (`statement_timeout`) and by the client (a hung
   * connection that never answers), so a stuck database yields 503 instead of a request that waits forever.
   * @default 15_000
   */
  databaseStatementTimeoutMs?: number | undefined
  /** Bound on connecting to PostgreSQL and on waiting for a free pooled connection. @default 5_000 */
  databaseConnectTimeoutMs?: number | undefined
  /** Timeout for one call to a remote Rekor/Fulcio/TSA. */
  upstreamTimeoutMs: number
  /** Retries of a remote call (408/429/5xx/network only). */
  upstreamRetries: number
}
