/** A writable text stream, as much of one as the CLI needs. */
export interface CliWritable {
  write(chunk: string): unknown
  /** True when the stream is a terminal (progress bars and colours only then). */
  isTTY?: boolean
}

/** Where the CLI reads and writes; tests and embedders pass their own. */
export interface CliIo {
  stdout: CliWritable
  stderr: CliWritable
  /** Standard input, read only by `--password-stdin`. */
  stdin?: AsyncIterable<string | Uint8Array>
  /** Working directory that relative paths and the default `.certus` data dir resolve against. */
  cwd: string
  /**
   * Environment (only `CERTUS_TRUST_*`, `CERTUS_PASSWORD`, `CERTUS_DEBUG`, `NO_COLOR` and, for keyless signing on
   * GitHub Actions, `SIGSTORE_ID_TOKEN` and `ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN` are read).
   */
  env: Record<string, string | undefined>
}

/** The process's own streams, cwd and env. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // A getter: touching process.stdin creates the stream, which only --password-stdin needs.
    get stdin() {
      return process.stdin
    },
    cwd: process.cwd(),
    env: process.env,
  }
}
