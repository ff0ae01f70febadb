// `@certus-trust/service/layout`: the data-directory layout alone (no database or log modules), so a command that
// only reads a file from the data directory loads nothing else.
import { join } from 'node:path'

/** Default data directory, relative to the working directory (server and CLI share it). */
export const DEFAULT_DATA_DIR = '.certus'

/** File name of the embedded SQLite database inside a data directory. */
export const DATABASE_FILE = 'certus.db'
/** File name of the embedded Rekor v2 log's SQLite database inside a data directory. */
export const REKOR_V2_DATABASE_FILE = 'certus-rekor-v2.db'
/** Directory name of a legacy PGlite database inside a data directory. */
export const LEGACY_PGLITE_DIR = 'log-db'

/** How long opening a data directory waits for another process holding it. */
export const DEFAULT_LOCK_WAIT_MS = 30_000

/** The files of a data directory. The server and the `certus` CLI use the same layout, so both share one log. */
export interface DataDirLayout {
  /** Absolute path of the directory. */
  path: string
  /** PKCS#8 PEM of the embedded log's signing key (checkpoints and SETs). */
  logKeyPath: string
  /** PKCS#8 PEM of the embedded Rekor v2 log's key (ECDSA P-256; its checkpoints). */
  rekorV2KeyPath: string
  /** PKCS#8 PEM of the local signing key used when no other key is configured. */
  signingKeyPath: string
  /** The embedded timestamp authority's CA and TSA keys and certificates (one JSON file, mode 0600). */
  tsaKeyPath: string
  /** SQLite database file holding the embedded log's state and the records (the embedded default). */
  databasePath: string
  /** SQLite database file of the embedded Rekor v2 log (a log of its own: storage holds one active tree). */
  rekorV2DatabasePath: string
  /** Where versions before the SQLite default kept a PGlite database; used only when it exists alone. */
  legacyPGlitePath: string
  /** The embedded log's last exported trusted root, so verification in this directory needs no flags. */
  trustedRootPath: string
  /** The server's TUF metadata cache (public-good trusted root refreshes), one subdirectory per mirror. */
  tufCachePath: string
}

/** The file names inside a data directory at `path` (nothing is touched on disk). */
export function dataDirLayout(path: string): DataDirLayout {
  return {
    path,
    logKeyPath: join(path, 'log-key.pem'),
    rekorV2KeyPath: join(path, 'rekor-v2-key.pem'),
    signingKeyPath: join(path, 'signing-key.pem'),
    tsaKeyPath: join(path, 'tsa.json'),
    databasePath: join(path, DATABASE_FILE),
    rekorV2DatabasePath: join(path, REKOR_V2_DATABASE_FILE),
    legacyPGlitePath: join(path, LEGACY_PGLITE_DIR),
    trustedRootPath: join(path, 'trusted_root.json'),
    tufCachePath: join(path, 'tuf-cache'),
  }
}
