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
  /** Working directory that relative paths and the default `.certus` data dir resolve against. */
  cwd: string
  /** Environment (only `CERTUS_TRUST_*`, `CERTUS_DEBUG` and `NO_COLOR` are read). */
  env: Record<string, string | undefined>
}

/** The process's own streams, cwd and env. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env }
}
