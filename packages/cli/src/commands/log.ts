import { createHash } from 'node:crypto'
import type { LogEntry } from '@certus-trust/log-protocol'
import type { RekorClient } from '@certus-trust/rekor'
import type { TransparencyLog } from '@certus-trust/tlog'
import { openEmbeddedLog } from '../data-dir.js'
import { CliError } from '../errors.js'
import { exists, readInputFile, resolvePath } from '../files.js'
import type { Output } from '../output.js'
import { openRemoteRekor } from '../remote.js'

export interface LogOptions {
  rekorUrl?: string
  dataDir?: string
  json?: boolean
}
export interface LogGetOptions extends LogOptions {
  index?: string
}
export interface LogSearchOptions extends LogOptions {
  artifact?: string
  publicKey?: string
}
export interface LogConsistencyOptions extends LogOptions {
  from: string
  fromRoot?: string
  to?: string
  toRoot?: string
}

/** The operations `certus log` needs, over the embedded log or a remote Rekor. */
interface LogReader {
  name: string
  info(): Promise<{ rootHash: string; treeSize: number; signedTreeHead: string; treeID: string }>
  entryByUuid(uuid: string): Promise<LogEntry | undefined>
  entryByIndex(index: number): Promise<LogEntry | undefined>
  searchByHash(hash: string): Promise<string[]>
  searchByPublicKey(pem: string): Promise<string[]>
  consistency(firstSize: number, lastSize: number): Promise<{ rootHash: string; hashes: string[] }>
  publicKey(): Promise<string>
}

function embeddedReader(log: TransparencyLog): LogReader {
  return {
    name: log.baseUrl,
    info: () => log.getLogInfo(),
    entryByUuid: (uuid) => log.getEntryByUuid(uuid),
    entryByIndex: (index) => log.getEntryByIndex(index),
    searchByHash: (hash) => log.searchIndex({ hash }),
    // The embedded log's index takes the key as base64 of the PEM, like Rekor's HTTP API.
    searchByPublicKey: (pem) =>
      log.searchIndex({ publicKey: { format: 'x509', content: Buffer.from(pem).toString('base64') } }),
    consistency: (firstSize, lastSize) => log.getConsistencyProof({ firstSize, lastSize }),
    publicKey: () => log.getPublicKey(),
  }
}

function remoteReader(rekor: RekorClient, url: string): LogReader {
  const orUndefined = async (lookup: () => Promise<LogEntry>) => {
    try {
      return await lookup()
    } catch (error) {
      if ((error as { code?: string }).code === 'REKOR_NOT_FOUND') return undefined
      throw error
    }
  }
  return {
    name: url,
    info: async () => {
      const info = await rekor.getLogInfo()
      return {
        rootHash: info.rootHash,
        treeSize: info.treeSize,
        signedTreeHead: info.signedTreeHead,
        treeID: String(info.treeID),
      }
    },
    entryByUuid: (uuid) => orUndefined(() => rekor.getEntryByUuid(uuid)),
    entryByIndex: (index) => orUndefined(() => rekor.getEntryByIndex(index)),
    searchByHash: (hash) => rekor.searchIndex({ hash }),
    searchByPublicKey: (pem) => rekor.searchIndex({ publicKey: { format: 'x509', content: pem } }),
    consistency: (firstSize, lastSize) => rekor.getConsistencyProof({ firstSize, lastSize }),
    publicKey: () => rekor.getPublicKey(),
  }
}

/** Opens the log the options name, runs `fn`, and closes it. */
async function withReader<T>(
  options: LogOptions,
  out: Output,
  fn: (reader: LogReader) => Promise<T>,
): Promise<T> {
  if (options.rekorUrl) return fn(remoteReader(await openRemoteRekor(options.rekorUrl), options.rekorUrl))
  const embedded = await openEmbeddedLog(out.io, options.dataDir, false)
  try {
    return await fn(embeddedReader(embedded.log))
  } finally {
    await embedded.close()
  }
}

function parseCount(value: string, flag: string): number {
  if (!/^\d{1,15}$/.test(value))
    throw new CliError({ code: 'CLI_USAGE', message: `${flag} must be a non-negative integer` })
  return Number(value)
}

function parseHexRoot(value: string, flag: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(value))
    throw new CliError({ code: 'CLI_USAGE', message: `${flag} must be 64 hex digits` })
  return Buffer.from(value, 'hex')
}

/** `certus log info`: size, root and the signed checkpoint, whose signature is verified with the log's key. */
export async function runLogInfo(options: LogOptions, out: Output): Promise<number> {
  return withReader(options, out, async (reader) => {
    const [info, publicKey] = await Promise.all([reader.info(), reader.publicKey()])
    const { verifyCheckpoint } = await import('@certus-trust/log-protocol')
    const checkpoint = verifyCheckpoint(info.signedTreeHead, { publicKey })
    if (
      checkpoint.treeSize !== BigInt(info.treeSize) ||
      Buffer.from(checkpoint.rootHash).toString('hex') !== info.rootHash.toLowerCase()
    ) {
      throw new CliError({
        code: 'CLI_VERIFICATION_FAILED',
        message: 'the signed checkpoint does not match the reported tree size and root',
      })
    }
    out.result(
      [
        `log:        ${reader.name}`,
        `origin:     ${checkpoint.origin}`,
        `tree size:  ${info.treeSize}`,
        `root hash:  ${info.rootHash}`,
        `tree id:    ${info.treeID}`,
        'checkpoint: signature verified with the log key',
      ],
      {
        ok: true,
        log: reader.name,
        origin: checkpoint.origin,
        treeSize: info.treeSize,
        rootHash: info.rootHash,
        treeId: info.treeID,
        checkpoint: info.signedTreeHead,
        checkpointVerified: true,
      },
    )
    return 0
  })
}

async function findEntry(
  reader: LogReader,
  uuid: string | undefined,
  index: string | undefined,
): Promise<LogEntry> {
  if ((uuid === undefined) === (index === undefined)) {
    throw new CliError({ code: 'CLI_USAGE', message: 'give an entry UUID or --index N (one of them)' })
  }
  let entry: LogEntry | undefined
  if (uuid !== undefined) {
    if (!/^(?:[0-9a-fA-F]{16})?[0-9a-fA-F]{64}$/.test(uuid)) {
      throw new CliError({
        code: 'CLI_USAGE',
        message: 'an entry UUID is 64 hex digits (or an 80-hex entry ID)',
      })
    }
    entry = await reader.entryByUuid(uuid.toLowerCase())
  } else {
    entry = await reader.entryByIndex(parseCount(index as string, '--index'))
  }
  if (!entry) {
    throw new CliError({
      code: 'CLI_NOT_FOUND',
      message: `no entry ${uuid ?? `at index ${index}`} in ${reader.name}`,
    })
  }
  return entry
}

function describeBody(entry: LogEntry): Record<string, unknown> {
  try {
    const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8')) as {
      kind?: string
      apiVersion?: string
      spec?: {
        data?: { hash?: { algorithm?: string; value?: string } }
        payloadHash?: { algorithm?: string; value?: string }
      }
    }
    const hash = body.spec?.data?.hash ?? body.spec?.payloadHash
    return {
      kind: body.kind,
      apiVersion: body.apiVersion,
      ...(hash?.value ? { artifactHash: `${hash.algorithm}:${hash.value}` } : {}),
    }
  } catch {
    return {}
  }
}

/** `certus log get UUID | --index N`: one entry, checked offline (UUID, SET, checkpoint, inclusion proof). */
export async function runLogGet(
  uuid: string | undefined,
  options: LogGetOptions,
  out: Output,
): Promise<number> {
  return withReader(options, out, async (reader) => {
    const entry = await findEntry(reader, uuid, options.index)
    const { verifyEntry } = await import('@certus-trust/log-protocol/entries')
    const verified = await verifyEntry(entry, { logKey: await reader.publicKey() })
    const body = describeBody(entry)
    out.result(
      [
        `uuid:            ${entry.uuid}`,
        `log index:       ${entry.logIndex}`,
        `integrated time: ${new Date(entry.integratedTime * 1000).toISOString()}`,
        `kind:            ${body.kind ?? '?'} ${body.apiVersion ?? ''}`,
        ...(body.artifactHash ? [`artifact:        ${body.artifactHash}`] : []),
        `verified:        ${verified.passed.join(', ')}`,
      ],
      { ok: true, entry, ...body, verified: verified.passed },
    )
    return 0
  })
}

/** `certus log search --artifact FILE|sha256:… | --public-key PUB.pem`: matching entry UUIDs. */
export async function runLogSearch(options: LogSearchOptions, out: Output): Promise<number> {
  if ((options.artifact === undefined) === (options.publicKey === undefined)) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: 'give --artifact FILE_OR_DIGEST or --public-key PUB.pem (one of them)',
    })
  }
  let hash: string | undefined
  let pem: string | undefined
  if (options.artifact !== undefined) {
    const path = resolvePath(out.io.cwd, options.artifact)
    if (await exists(path))
      hash = `sha256:${createHash('sha256')
        .update(await readInputFile(path, 'artifact'))
        .digest('hex')}`
    else if (/^sha256:[0-9a-fA-F]{64}$/.test(options.artifact)) hash = options.artifact.toLowerCase()
    else
      throw new CliError({
        code: 'CLI_FILE_NOT_FOUND',
        message: `cannot read artifact ${path} (and it is not a sha256: digest)`,
      })
  } else {
    pem = (await readInputFile(resolvePath(out.io.cwd, options.publicKey as string), 'public key')).toString(
      'utf8',
    )
  }
  return withReader(options, out, async (reader) => {
    const uuids =
      hash !== undefined ? await reader.searchByHash(hash) : await reader.searchByPublicKey(pem as string)
    out.result(uuids.length === 0 ? 'no entries found' : uuids, {
      ok: true,
      query: hash !== undefined ? { hash } : { publicKey: options.publicKey },
      uuids,
    })
    return 0
  })
}

/** `certus log proof UUID | --index N`: the entry's inclusion proof, verified against the signed checkpoint. */
export async function runLogProof(
  uuid: string | undefined,
  options: LogGetOptions,
  out: Output,
): Promise<number> {
  return withReader(options, out, async (reader) => {
    const entry = await findEntry(reader, uuid, options.index)
    const proof = entry.verification?.inclusionProof
    if (!proof)
      throw new CliError({
        code: 'CLI_NOT_FOUND',
        message: `${reader.name} returned no inclusion proof for entry ${entry.uuid}`,
      })
    const { verifyEntry } = await import('@certus-trust/log-protocol/entries')
    const verified = await verifyEntry(entry, { logKey: await reader.publicKey() })
    if (!verified.passed.includes('inclusionProof') || !verified.passed.includes('checkpoint')) {
      throw new CliError({
        code: 'CLI_VERIFICATION_FAILED',
        message: 'the inclusion proof could not be checked against a signed checkpoint',
      })
    }
    out.result(
      [
        `entry:      ${entry.uuid} (log index ${entry.logIndex})`,
        `tree size:  ${proof.treeSize}`,
        `root hash:  ${proof.rootHash}`,
        `leaf index: ${proof.logIndex}`,
        `hashes:     ${proof.hashes.length === 0 ? '(none)' : proof.hashes.join('\n            ')}`,
        'verified:   inclusion proof leads to the root of a checkpoint signed by the log key',
      ],
      {
        ok: true,
        uuid: entry.uuid,
        logIndex: entry.logIndex,
        inclusionProof: proof,
        verified: verified.passed,
      },
    )
    return 0
  })
}

/**
 * `certus log consistency --from N [--from-root HEX] [--to M --to-root HEX]`: a consistency proof between two
 * tree sizes. The newer tree defaults to the current signed checkpoint (verified); with `--from-root` (the root
 * you saw earlier, e.g. from `log info --json`) the proof is verified offline.
 */
export async function runLogConsistency(options: LogConsistencyOptions, out: Output): Promise<number> {
  const from = parseCount(options.from, '--from')
  if (from === 0) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: '--from must be at least 1 (every tree extends the empty tree)',
    })
  }
  const fromRoot = options.fromRoot === undefined ? undefined : parseHexRoot(options.fromRoot, '--from-root')
  if ((options.to === undefined) !== (options.toRoot === undefined)) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: '--to and --to-root go together (default: the current signed checkpoint)',
    })
  }
  return withReader(options, out, async (reader) => {
    const { verifyCheckpoint, verifyConsistencyProof } = await import('@certus-trust/log-protocol')
    let to: number
    let toRoot: Uint8Array
    if (options.to !== undefined) {
      to = parseCount(options.to, '--to')
      toRoot = parseHexRoot(options.toRoot as string, '--to-root')
    } else {
      const [info, publicKey] = await Promise.all([reader.info(), reader.publicKey()])
      const checkpoint = verifyCheckpoint(info.signedTreeHead, { publicKey })
      to = Number(checkpoint.treeSize)
      toRoot = checkpoint.rootHash
    }
    if (from > to)
      throw new CliError({
        code: 'CLI_USAGE',
        message: `--from ${from} is larger than the newer tree size ${to}`,
      })
    const proof = await reader.consistency(from, to)
    const hashes = proof.hashes.map((hash) => Buffer.from(hash, 'hex'))
    if (fromRoot)
      verifyConsistencyProof({
        oldSize: from,
        newSize: to,
        oldRoot: fromRoot,
        newRoot: toRoot,
        proof: hashes,
      })
    const toRootHex = Buffer.from(toRoot).toString('hex')
    out.result(
      [
        `from size:  ${from}${options.fromRoot ? ` (root ${options.fromRoot.toLowerCase()})` : ''}`,
        `to size:    ${to} (root ${toRootHex})`,
        `hashes:     ${proof.hashes.length === 0 ? '(none)' : proof.hashes.join('\n            ')}`,
        fromRoot
          ? 'verified:   the newer tree extends the older one (append-only)'
          : 'not verified: pass --from-root with the root you saw at that size to verify the proof',
      ],
      {
        ok: true,
        fromSize: from,
        toSize: to,
        fromRoot: options.fromRoot?.toLowerCase(),
        toRoot: toRootHex,
        hashes: proof.hashes,
        verified: fromRoot !== undefined,
      },
    )
    return 0
  })
}
