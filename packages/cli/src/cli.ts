import { DEFAULT_DATA_DIR } from '@certus-trust/service/layout'
import { Command, CommanderError, Option } from 'commander'
import { CliError, EXIT_CODES } from './errors.js'
import type { CliIo } from './io.js'
import { createOutput, type Output, reportError } from './output.js'
import { VERSION } from './version.js'

/**
 * Runs one `certus` invocation and resolves with its exit status; never throws and never calls
 * `process.exit` (bin.ts does). Each subcommand's module is imported only when it runs, so
 * `certus verify-bundle` does not pay for the server, a database or the signer.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT_CODES.OK
  const program = buildProgram(io, (code) => {
    exitCode = code
  })
  if (argv.length > 0 && argv.every((arg) => arg === '--json')) {
    // `certus --json` alone: no command to run, reported like every other usage error.
    reportUsageJson(
      io,
      new CommanderError(2, 'commander.missingCommand', 'name a command (certus --help lists them)'),
    )
    return EXIT_CODES.USAGE
  }
  try {
    await program.parseAsync([...argv], { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are successes; everything else commander rejects is usage.
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return EXIT_CODES.OK
      if (argv.includes('--json')) reportUsageJson(io, error)
      return EXIT_CODES.USAGE
    }
    return reportError(io, false, error)
  }
  return exitCode
}

/**
 * With `--json`, a usage error commander rejected is one JSON document on stdout too, like every other error
 * (commander has already written its text on stderr).
 */
function reportUsageJson(io: CliIo, error: CommanderError): void {
  const message = error.message.replace(/^error:\s*/, '')
  io.stdout.write(
    `${JSON.stringify({ ok: false, error: { code: 'CLI_USAGE', message, reason: error.code } }, null, 2)}\n`,
  )
}

type SetExit = (code: number) => void

/** What every command registration uses: the root command, the I/O, and the shared option and action helpers. */
interface ProgramParts {
  program: Command
  io: CliIo
  setExit: SetExit
  /** Wraps an action: one Output per run, errors reported once, exit status recorded. */
  action: <Options extends object>(
    fn: (out: Output, options: Options, args: string[]) => Promise<number | undefined>,
  ) => (...args: unknown[]) => Promise<void>
  /** A subcommand that reports errors and help like the root command. */
  child: (parent: Command, name: string) => Command
  dataDirOption: () => Option
  jsonOption: () => Option
}

/** The `certus` command tree; each group of subcommands is registered by its own function. */
function buildProgram(io: CliIo, setExit: SetExit): Command {
  const parts = programParts(io, setExit)
  addKeygen(parts)
  addSignAndAttest(parts)
  addVerify(parts)
  addVerifyBundle(parts)
  addLogCommands(parts)
  addServerCommands(parts)
  return parts.program
}

function rootCommand(io: CliIo): Command {
  const program = new Command('certus')
  program
    .description(
      'Certus Trust: sign, attest and verify artifacts with Sigstore bundles and a transparency log.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error:/, 'certus: error:')),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit status: 0 success, 1 verification failed, 2 usage error, 3 bad or missing input,
4 storage/log/service unavailable, 70 internal error. Add --json for machine-readable output.`,
    )

  return program
}

function programParts(io: CliIo, setExit: SetExit): ProgramParts {
  const program = rootCommand(io)
  const action =
    <Options extends object>(
      fn: (out: Output, options: Options, args: string[]) => Promise<number | undefined>,
    ) =>
    async (...args: unknown[]) => {
      // commander passes positional args, then the options object, then the command.
      const command = args[args.length - 1] as Command
      const options = command.opts() as Options
      const positional = args
        .slice(0, -2)
        .flatMap((value) => (Array.isArray(value) ? value : value === undefined ? [] : [String(value)]))
      const out = createOutput(io, (options as { json?: boolean }).json === true)
      try {
        const code = await fn(out, options, positional)
        setExit(typeof code === 'number' ? code : EXIT_CODES.OK)
      } catch (error) {
        setExit(reportError(io, out.json, error))
      }
    }
  const child = (parent: Command, name: string) =>
    parent
      .command(name)
      .configureOutput(program.configureOutput())
      .exitOverride()
      .showHelpAfterError('(run with --help for usage)')
  const dataDirOption = () =>
    new Option(
      '--data-dir <dir>',
      'directory of the embedded log, its key and the local signing key (default: $CERTUS_TRUST_DATA_DIR, else .certus)',
    ).default(io.env.CERTUS_TRUST_DATA_DIR?.trim() || DEFAULT_DATA_DIR)
  const jsonOption = () => new Option('--json', 'print one JSON document on stdout instead of text')

  return { program, io, setExit, action, child, dataDirOption, jsonOption }
}

function addKeygen({ program, action, child, jsonOption }: ProgramParts): void {
  child(program, 'keygen')
    .description(
      'generate a signing key pair (PKCS#8 private key with mode 0600, encrypted with --password-stdin; SPKI public key), or a key inside a KMS (--kms)',
    )
    .addOption(
      new Option('--algorithm <name>', 'key algorithm')
        .choices(['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa'])
        .default('ecdsa-p256'),
    )
    .option('--private-key <file>', 'where to write the private key (PEM); not with --kms')
    .option('--public-key <file>', 'where to write the public key (PEM); optional with --kms')
    .option(
      '--kms <uri>',
      'create the key in a KMS instead: awskms://[ENDPOINT]/alias/NAME, gcpkms://…/cryptoKeys/K, azurekms://VAULT.vault.azure.net/KEY, hashivault://KEY',
    )
    .option('--rsa-bits <bits>', 'RSA modulus size: 2048, 3072 or 4096 (default 3072)')
    .option('--force', 'replace existing key files')
    .option(
      '--password-stdin',
      'encrypt the private key (PKCS#8, AES-256-CBC) with the password read from stdin (default: $CERTUS_PASSWORD when set)',
    )
    .addOption(jsonOption())
    .action(
      action(
        async (
          out,
          options: Parameters<typeof import('./commands/keygen.js').runKeygen>[0] & { json?: boolean },
        ) => {
          const { runKeygen } = await import('./commands/keygen.js')
          await runKeygen(options, out)
          return undefined
        },
      ),
    )
}

function addSignAndAttest({ program, action, child, dataDirOption, jsonOption }: ProgramParts): void {
  withKeylessOptions(withWitnessOptions(child(program, 'sign')))
    .description(
      'sign files and record each signature in the transparency log; writes Sigstore bundles (v0.3)',
    )
    .argument('<files...>', 'files to sign')
    .option(
      '--key <file-or-uri>',
      "private key (PEM) or KMS key URI (awskms://, gcpkms://, azurekms://, hashivault://); default: the data directory's signing key, created on first use",
    )
    .option('--bundle <file>', 'where to write the bundle (one file only; default <file>.sigstore.json)')
    .addOption(passwordStdinOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(
      action(async (out, options: import('./commands/sign.js').SignOptions & { json?: boolean }, files) => {
        const { runSign } = await import('./sign-command.js')
        return runSign(files, options, out)
      }),
    )

  withKeylessOptions(withWitnessOptions(child(program, 'attest')))
    .description('sign an in-toto attestation (DSSE) about a file and record it in the transparency log')
    .argument('<file>', 'the attestation subject')
    .requiredOption('--predicate <file>', 'predicate JSON file')
    .option(
      '--predicate-type <uri-or-name>',
      'predicate type URI, or a cosign name (slsaprovenance1, slsaprovenance02, link, spdx, spdxjson, cyclonedx, vuln, openvex, custom); default: inferred when the predicate is unambiguously one of these, else required',
    )
    .option(
      '--key <file-or-uri>',
      "private key (PEM) or KMS key URI (awskms://, gcpkms://, azurekms://, hashivault://); default: the data directory's signing key",
    )
    .option('--bundle <file>', 'where to write the bundle (default <file>.intoto.sigstore.json)')
    .addOption(passwordStdinOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(
      action(
        async (out, options: import('./commands/attest.js').AttestOptions & { json?: boolean }, files) => {
          const { runAttest } = await import('./commands/attest.js')
          return runAttest(files[0] as string, options, out)
        },
      ),
    )
}

function addVerify({ program, action, child, jsonOption }: ProgramParts): void {
  child(program, 'verify')
    .description(
      'verify files against Sigstore bundles, cosign-style (a batch shows a progress bar on a terminal and ends with a summary)',
    )
    .usage(
      'FILE_OR_DIGEST... [--bundle B] (--key PUB.pem | --certificate-identity[-regexp] I --certificate-oidc-issuer[-regexp] U) [--trusted-root T | [--tuf [MIRROR] [--tuf-root R]] [--data-dir D]] [--json]',
    )
    .argument('<files...>', 'files (or sha256:<hex> digests, with --bundle) to verify')
    .option('--bundle <file>', 'bundle to verify against (one artifact only; default <file>.sigstore.json)')
    .option('--key <file>', 'expected signer public key (PEM)')
    .option('--certificate-identity <san>', 'expected certificate identity (SAN), exact')
    .option(
      '--certificate-identity-regexp <re>',
      'expected certificate identity, a regular expression matched ANYWHERE in the SAN (unanchored, as cosign); write ^…$ for a whole-SAN match',
    )
    .option('--certificate-oidc-issuer <url>', 'expected OIDC issuer, exact')
    .option(
      '--certificate-oidc-issuer-regexp <re>',
      'expected OIDC issuer, a regular expression matched anywhere (unanchored); write ^…$ to anchor',
    )
    .option('--trusted-root <file>', 'trust exactly this TrustedRoot JSON (nothing else)')
    .option(
      '--tuf [mirror]',
      'refresh the public-good trusted root through TUF from this mirror (default: $CERTUS_TRUST_TUF_MIRROR, else https://tuf-repo-cdn.sigstore.dev); cached, falls back to the embedded snapshot with a warning',
    )
    .option(
      '--tuf-root <file>',
      "the mirror's initial root.json, for a private TUF mirror (default: $CERTUS_TRUST_TUF_ROOT); implies --tuf",
    )
    .option(
      '--data-dir <dir>',
      "add this data directory's logs to public-good; must exist (default: $CERTUS_TRUST_DATA_DIR, which must exist too, else .certus when it exists)",
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Regular expressions (--certificate-identity-regexp, --certificate-oidc-issuer-regexp) follow cosign: the
pattern may match any part of the value (Go regexp.MatchString), so "@example\\.com" matches
"ci@example.com.evil.net" too. Anchor explicitly: '^https://github\\.com/org/repo/.+@refs/heads/main$'.

Trust material (named on stderr, and as "trust" with --json): --trusted-root T alone; otherwise the
public-good root plus the transparency logs and timestamp authorities of the data directory (--data-dir,
$CERTUS_TRUST_DATA_DIR, else ./.certus when it exists). A named data directory that does not exist is an
error (CLI_DATA_DIR, exit 4), never a silent fallback. A data directory never adds certificate authorities:
keyless bundles from a private Fulcio need --trusted-root.

The public-good root is the snapshot embedded in this release, or, with --tuf [MIRROR] (or
$CERTUS_TRUST_TUF_MIRROR), trusted_root.json refreshed through TUF (metadata cached in
$CERTUS_TRUST_TUF_CACHE_DIR, default ~/.cache/certus-trust/tuf). When the mirror cannot be reached the
verified cached copy is used, else the embedded snapshot, each with a warning. Using the embedded snapshot
when it is older than $CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS (default 90; 0 = never) warns too. Warnings go
to stderr ("certus: warning: ...") and, with --json, into "warnings".

Exit status: 0 every artifact verified; 1 at least one was rejected; 2 usage error; 3 a file or bundle is
missing or malformed; 4 the named data directory does not exist. With --json: one document
{ ok, trust, warnings, results: [...], summary: { total, succeeded, failed, line } }; errors as
{ ok: false, error }.`,
    )
    .action(
      action(
        async (out, options: import('./commands/verify.js').VerifyOptions & { json?: boolean }, files) => {
          const { runVerify } = await import('./commands/verify.js')
          return runVerify(files, options, out)
        },
      ),
    )
}

function addVerifyBundle({ program, io, setExit, child }: ProgramParts): void {
  child(program, 'verify-bundle')
    .description('Sigstore conformance-protocol verification (exit 0 = verified, reason on stderr otherwise)')
    .usage(
      '[--staging] --bundle FILE (--key PUB.pem | --certificate-identity I --certificate-oidc-issuer U) [--trusted-root FILE] FILE_OR_DIGEST',
    )
    .helpOption('-h, --help', 'show help')
    .addHelpText(
      'after',
      `
Arguments (in exactly this order, as the Sigstore conformance suite passes them):
  --staging                        use the public-good staging root (fetched through TUF)
  --bundle FILE                    Sigstore bundle (v0.1, v0.2 or v0.3)
  --key PUB.pem                    expected signer public key (managed key), or:
  --certificate-identity I         expected certificate identity (SAN), exact
  --certificate-oidc-issuer U      expected OIDC issuer, exact
  --trusted-root FILE              trusted root JSON (default: public-good production, embedded, offline)
  FILE_OR_DIGEST                   the artifact, or sha256:<64 hex> when no such file exists

Exit status 0 = verified; anything else = rejected, with the reason on stderr.`,
    )
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (_args: unknown, command: Command) => {
      // Reached only from runCli (bin.ts has a faster path); hand the raw arguments over untouched.
      const { runVerifyBundleCommand } = await import('./commands/verify-bundle.js')
      setExit(await runVerifyBundleCommand(command.args, io))
    })
}

function addLogCommands({ program, action, child, dataDirOption, jsonOption }: ProgramParts): void {
  const log = child(program, 'log').description(
    'read the transparency log (embedded by default, or --rekor-url)',
  )
  const logOptions = (command: Command) =>
    command
      .option('--rekor-url <url>', 'query this Rekor instead of the embedded log in the data directory')
      .addOption(dataDirOption())
      .addOption(jsonOption())
  logOptions(
    child(log, 'info').description("the log's current size, root hash and signed checkpoint (verified)"),
  ).action(
    action(async (out, options: import('./commands/log.js').LogOptions) => {
      const { runLogInfo } = await import('./commands/log.js')
      return runLogInfo(options, out)
    }),
  )
  logOptions(
    child(log, 'get')
      .description('one entry by UUID (argument) or by --index')
      .argument('[uuid]', 'entry UUID or entry ID')
      .option('--index <n>', 'log index'),
  ).action(
    action(async (out, options: import('./commands/log.js').LogGetOptions, args) => {
      const { runLogGet } = await import('./commands/log.js')
      return runLogGet(args[0], options, out)
    }),
  )
  logOptions(
    child(log, 'search')
      .description('entry UUIDs for an artifact (file or sha256:<hex>) or a public key')
      .option('--artifact <file-or-digest>', 'artifact file or sha256:<hex> digest')
      .option('--public-key <file>', 'signer public key (PEM)'),
  ).action(
    action(async (out, options: import('./commands/log.js').LogSearchOptions) => {
      const { runLogSearch } = await import('./commands/log.js')
      return runLogSearch(options, out)
    }),
  )
  logOptions(
    child(log, 'proof')
      .description("inclusion proof of an entry, verified offline against the log's signed checkpoint")
      .argument('[uuid]', 'entry UUID')
      .option('--index <n>', 'log index'),
  ).action(
    action(async (out, options: import('./commands/log.js').LogGetOptions, args) => {
      const { runLogProof } = await import('./commands/log.js')
      return runLogProof(args[0], options, out)
    }),
  )
  logOptions(
    child(log, 'consistency')
      .description('consistency proof between two tree sizes, verified offline')
      .requiredOption('--from <size>', 'older tree size')
      .option('--from-root <hex>', 'root hash you saw at the older size (verifies the proof)')
      .option('--to <size>', 'newer tree size (default: the current signed checkpoint)')
      .option('--to-root <hex>', 'root hash at --to'),
  ).action(
    action(async (out, options: import('./commands/log.js').LogConsistencyOptions) => {
      const { runLogConsistency } = await import('./commands/log.js')
      return runLogConsistency(options, out)
    }),
  )
}

function addServerCommands({ program, action, child, dataDirOption, jsonOption }: ProgramParts): void {
  child(program, 'serve')
    .description('run the reference HTTP server (binds 127.0.0.1 unless credentials are configured)')
    // No commander defaults: a default here would always beat CERTUS_TRUST_PORT/HOST (flags, then env, then the
    // server's own defaults).
    .option('--port <n>', 'TCP port (default: $CERTUS_TRUST_PORT, else 8080)')
    .option('--host <address>', 'address to bind (default: $CERTUS_TRUST_HOST, else 127.0.0.1)')
    .option(
      '--storage <where>',
      'sqlite, memory, pglite, a SQLite file (*.db), a PGlite directory, or a postgres:// URL (default: SQLite in the data directory)',
    )
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(
      action(async (out, options: import('./commands/serve.js').ServeOptions) => {
        const { runServe } = await import('./commands/serve.js')
        return runServe(options, out)
      }),
    )

  child(program, 'migrate')
    .description(
      'apply the PostgreSQL schema migrations (idempotent), or with --to sqlite move a data directory from PGlite to SQLite',
    )
    .option('--database-url <url>', 'postgres:// URL (default: $CERTUS_TRUST_DATABASE_URL)')
    .addOption(
      new Option('--to <backend>', 'copy the legacy PGlite database of --data-dir into SQLite').choices([
        'sqlite',
      ]),
    )
    .option(
      '--data-dir <dir>',
      'with --to sqlite: the data directory (default: $CERTUS_TRUST_DATA_DIR, else .certus)',
    )
    .addOption(jsonOption())
    .action(
      action(async (out, options: import('./commands/migrate.js').MigrateOptions) => {
        const { runMigrate } = await import('./commands/migrate.js')
        return runMigrate(options, out)
      }),
    )

  const trustRoot = child(program, 'trust-root').description('trusted root material')
  child(trustRoot, 'export')
    .description(
      'write the Sigstore trusted root naming the embedded Rekor v1 and v2 logs and timestamp authority',
    )
    .requiredOption('--out <file>', 'where to write trusted_root.json (- for stdout)')
    .option('--base-url <url>', 'URL the logs are named by (default: $CERTUS_TRUST_LOG_BASE_URL)')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(
      action(async (out, options: import('./commands/trust-root.js').TrustRootExportOptions) => {
        const { runTrustRootExport } = await import('./commands/trust-root.js')
        return runTrustRootExport(options, out)
      }),
    )

  child(trustRoot, 'refresh')
    .description(
      'refresh the public-good trusted root through TUF into the cache that `verify --tuf` uses, and show it (fails when the mirror cannot be reached)',
    )
    .option(
      '--tuf <mirror>',
      'TUF mirror (default: $CERTUS_TRUST_TUF_MIRROR, else https://tuf-repo-cdn.sigstore.dev)',
    )
    .option(
      '--tuf-root <file>',
      "the mirror's initial root.json, for a private mirror (default: $CERTUS_TRUST_TUF_ROOT)",
    )
    .addOption(jsonOption())
    .action(
      action(async (out, options: import('./commands/trust-root.js').TrustRootRefreshOptions) => {
        const { runTrustRootRefresh } = await import('./commands/trust-root.js')
        return runTrustRootRefresh(options, out)
      }),
    )

  const signingConfig = child(program, 'signing-config').description('Sigstore signing configuration')
  child(signingConfig, 'export')
    .description('write a SigningConfig v0.2 pointing Sigstore clients at `certus serve` (Rekor v2/v1, TSA)')
    .requiredOption('--out <file>', 'where to write signing_config.json (- for stdout)')
    .option(
      '--url <url>',
      'where clients reach the server (default: $CERTUS_TRUST_LOG_BASE_URL or http://127.0.0.1:$CERTUS_TRUST_PORT)',
    )
    .option(
      '--fulcio-url <url>',
      'a Fulcio CA to list for keyless signing (default: $CERTUS_TRUST_FULCIO_ADDR)',
    )
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(
      action(async (out, options: import('./commands/signing-config.js').SigningConfigExportOptions) => {
        const { runSigningConfigExport } = await import('./commands/signing-config.js')
        return runSigningConfigExport(options, out)
      }),
    )
}

export { CliError }

/** `--password-stdin` of `sign` and `attest`. */
function passwordStdinOption(): Option {
  return new Option(
    '--password-stdin',
    'read the password of an encrypted --key from stdin (default: $CERTUS_PASSWORD, else $CERTUS_TRUST_KEY_PASSPHRASE)',
  )
}

/** Keyless signing through Fulcio, for `sign` and `attest`. */
function withKeylessOptions(command: Command): Command {
  return command
    .option(
      '--keyless',
      "sign with a short-lived Fulcio certificate for an OIDC identity instead of a key (token: --identity-token-file, --identity-token, $SIGSTORE_ID_TOKEN, else the CI provider's, e.g. GitHub Actions with id-token: write)",
    )
    .option(
      '--identity-token <jwt>',
      'OIDC identity token for --keyless (implies it; visible in ps: prefer the file)',
    )
    .option('--identity-token-file <file>', 'file holding the OIDC identity token (implies --keyless)')
    .option(
      '--fulcio-url <url>',
      'Fulcio for --keyless (default: $CERTUS_TRUST_FULCIO_ADDR, else https://fulcio.sigstore.dev)',
    )
}

/** Where `sign` and `attest` record and timestamp: the same options for both. */
function withWitnessOptions(command: Command): Command {
  return command
    .option('--rekor-url <url>', 'record in this Rekor instead of the embedded log')
    .option(
      '--rekor-version <1|2>',
      'Rekor API version of --rekor-url, or the only one to pick from --signing-config',
    )
    .option(
      '--tsa-url <url>',
      'add an RFC 3161 timestamp from this TSA (required with --rekor-version 2 and --rekor-url)',
    )
    .option(
      '--signing-config <file>',
      'Sigstore SigningConfig v0.2 choosing the Rekor log(s) and timestamp authorities',
    )
    .option(
      '--trusted-root <file>',
      'TrustedRoot JSON with the Rekor v2 log keys: checkpoints are checked and a re-signed entry is read back',
    )
}
