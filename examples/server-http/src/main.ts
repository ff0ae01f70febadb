/**
 * Talk to the reference server over HTTP: start it in-process on a free loopback port (in-memory storage,
 * embedded transparency log, a generated signing key in a temporary directory), then
 * sign → fetch the transparency entry with its proof → check the proof offline → verify via /v1/verify.
 *
 *   pnpm --filter @example/server-http start
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { hashLeaf, verifyCheckpoint, verifyInclusionProof } from '@certus-trust/log-protocol'
import { loadConfig, startServer } from '@certus-trust/server'

async function call<T>(
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return {
    status: response.status,
    json: (text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text) as T,
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'certus-example-server-'))
  // Port 0 = any free port; 127.0.0.1 only. Without credentials the server serves loopback clients only.
  const config = loadConfig({
    CERTUS_TRUST_PORT: '0',
    CERTUS_TRUST_STORAGE: 'memory',
    CERTUS_TRUST_DATA_DIR: dataDir,
    CERTUS_TRUST_LOG_LEVEL: 'silent',
  })
  const server = await startServer(config)
  print(`server listening on ${server.url}`)
  try {
    const health = await call<{ status: string }>('GET', `${server.url}/v1/health`)
    print(`GET /v1/health -> ${health.status} ${health.json.status}`)

    // 1. Sign: the server only ever sees the artifact's digest.
    const artifact = Buffer.from('release notes for my-app 1.0.0\n')
    const digest = `sha256:${createHash('sha256').update(artifact).digest('hex')}`
    const signed = await call<{
      entry_id: string
      public_key: string
      transparency_entry: { index: number }
      bundle: Record<string, unknown>
    }>('POST', `${server.url}/v1/sign`, {
      artifact: digest,
      artifact_type: 'document',
      subject: 'release-notes.txt',
    })
    if (signed.status !== 200 && signed.status !== 201)
      throw new Error(`sign failed: ${signed.status} ${JSON.stringify(signed.json)}`)
    print(
      `POST /v1/sign -> ${signed.status}, entry ${signed.json.entry_id.slice(0, 24)}… at log index ${signed.json.transparency_entry.index}`,
    )

    // 2. Fetch the entry with its inclusion proof and check it offline with @certus-trust/rekor.
    const entry = await call<{
      body: string
      proof: { log_index: number; tree_size: number; root_hash: string; hashes: string[]; checkpoint: string }
    }>('GET', `${server.url}/v1/transparency/${signed.json.entry_id}?include_proof=true`)
    const { proof } = entry.json
    verifyInclusionProof({
      leafIndex: proof.log_index,
      treeSize: proof.tree_size,
      leafHash: hashLeaf(Buffer.from(entry.json.body, 'base64')),
      proof: proof.hashes.map((hash) => Buffer.from(hash, 'hex')),
      rootHash: Buffer.from(proof.root_hash, 'hex'),
    })
    // The root must be the one the log signed: check the checkpoint with the log's key (Rekor API, /api/v1).
    const logKey = await call<string>('GET', `${server.url}/api/v1/log/publicKey`)
    const checkpoint = verifyCheckpoint(proof.checkpoint, { publicKey: logKey.json })
    if (Buffer.from(checkpoint.rootHash).toString('hex') !== proof.root_hash)
      throw new Error('checkpoint root differs from the proof root')
    print(
      `GET /v1/transparency/{id}?include_proof=true -> inclusion proof verified offline (tree size ${proof.tree_size}, checkpoint signed by the log)`,
    )

    // 3. Verify over HTTP: the right artifact and key, then a different artifact.
    const policy = { public_key: signed.json.public_key }
    const verified = await call<{ valid: boolean; signer: string; transparency_index: number }>(
      'POST',
      `${server.url}/v1/verify`,
      {
        artifact: digest,
        bundle: signed.json.bundle,
        policy,
      },
    )
    print(
      `POST /v1/verify -> valid: ${verified.json.valid}, signer ${verified.json.signer}, log index ${verified.json.transparency_index}`,
    )
    if (!verified.json.valid)
      throw new Error(`expected a valid verification: ${JSON.stringify(verified.json)}`)

    const other = `sha256:${createHash('sha256').update('something else').digest('hex')}`
    const rejected = await call<{ valid: boolean; failure?: { code: string } }>(
      'POST',
      `${server.url}/v1/verify`,
      {
        artifact: other,
        bundle: signed.json.bundle,
        policy,
      },
    )
    print(
      `POST /v1/verify (other artifact) -> ${rejected.status}, valid: ${rejected.json.valid}, failure ${rejected.json.failure?.code}`,
    )
    if (rejected.json.valid) throw new Error('a different artifact verified — this must never happen')
  } finally {
    await server.close()
    await rm(dataDir, { recursive: true, force: true })
  }
  print('server stopped')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error)
    process.exitCode = 1
  })
}
