/**
 * Use PostgreSQL: the embedded transparency log and the signing/verification records in one database.
 * Creates its own throwaway database on the server (default postgres://postgres@127.0.0.1:5432), applies the
 * migrations, signs a few artifacts, verifies one, queries the records, and drops the database again.
 *
 *   pnpm --filter @example/postgres start            # CERTUS_EXAMPLE_POSTGRES_URL overrides the server URL
 */
import { createHash, randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { createSigner, generateKeyPair } from '@certus-trust/signer'
import { createPostgresStorage, migrate } from '@certus-trust/storage-postgres'
import { createTransparencyLog } from '@certus-trust/tlog'
import { createVerifier } from '@certus-trust/verifier'
import pg from 'pg'

/** The server to create the throwaway database on (its `postgres` database is used only to CREATE/DROP). */
export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

export async function main(
  serverUrl = DEFAULT_SERVER_URL,
  print: (line: string) => void = console.log,
  prefix = 'certus_example_',
): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix))
    throw new Error('the database name prefix must match [a-z_][a-z0-9_]*')
  const name = `${prefix}${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const connectionString = url.toString()
  print(`created database ${name}`)
  try {
    // 1. Schema: an explicit, idempotent step (what `certus migrate` runs).
    const migrated = await migrate({ connectionString })
    print(`migrated to schema version ${migrated.version} (applied ${migrated.applied.join(', ')})`)

    // 2. Storage and the log on it. Several server instances could share this database: appends are
    //    serialised by a PostgreSQL advisory lock per tree.
    const storage = await createPostgresStorage({ connectionString })
    const log = await createTransparencyLog({ storage })
    const { privateKey, publicKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' })
    const signer = createSigner({ key: privateKey, witness: log })

    // 3. Sign three artifacts concurrently (one batch commit) and record each signing.
    const artifacts = ['app-1.0.0.tgz', 'app-1.0.0.spdx.json', 'app-1.0.0.intoto.jsonl'].map((subject) => ({
      subject,
      bytes: Buffer.from(`contents of ${subject}\n`),
    }))
    const results = await Promise.all(artifacts.map((artifact) => signer.sign(artifact.bytes)))
    for (const [index, result] of results.entries()) {
      const entry = result.logEntries[0]
      if (!entry) throw new Error('no log entry')
      // The bundle carries the message signature the log recorded (base64), as the server's records keep it.
      const signature = result.bundle.messageSignature?.signature
      if (!signature) throw new Error('no message signature')
      await storage.saveSignedArtifact({
        artifactHash: result.digest,
        artifactType: 'file',
        subject: artifacts[index]?.subject ?? '',
        signature,
        publicKey: result.publicKeyPem,
        bundle: result.bundle as never,
        transparencyEntryUuid: entry.uuid,
        logIndex: entry.logIndex,
        integratedTime: entry.integratedTime,
        logId: entry.logID,
      })
    }
    print(
      `signed ${results.length} artifacts at log indexes ${results
        .map((result) => result.logEntries[0]?.logIndex)
        .sort()
        .join(', ')}`,
    )

    // 4. Verify one against the log's trusted root, and record the verification.
    const verifier = createVerifier({ trustedRoot: await log.exportTrustedRoot() })
    const target = artifacts[1] as (typeof artifacts)[number]
    const digest = `sha256:${createHash('sha256').update(target.bytes).digest('hex')}`
    const stored = await storage.listSignedArtifactsByHash(digest)
    const record = stored.items[0]
    if (!record) throw new Error('signed artifact record not found')
    const verified = await verifier.verify(record.bundle, target.bytes, { publicKey })
    await storage.saveVerificationRecord({
      artifactHash: digest,
      valid: true,
      signer:
        verified.signer.kind === 'publicKey' ? `sha256:${verified.signer.keyId}` : verified.signer.identity,
      transparencyIndex: Number(verified.tlogEntries[0]?.logIndex),
    })
    print(
      `verified ${record.subject} (log index ${verified.tlogEntries[0]?.logIndex}) from the stored bundle`,
    )

    // 5. Query: everything is in PostgreSQL.
    const info = await log.getLogInfo()
    const signedRecords = await storage.listSignedArtifacts({ artifactType: 'file' })
    const verifications = await storage.listVerificationRecords({ valid: true })
    print(
      `log tree size ${info.treeSize}; ${signedRecords.items.length} signed-artifact records; ${verifications.items.length} verification record(s)`,
    )

    await log.close()
    await storage.close()
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
    print(`dropped database ${name}`)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(
    process.env.CERTUS_EXAMPLE_POSTGRES_URL ?? DEFAULT_SERVER_URL,
    console.log,
    process.env.CERTUS_EXAMPLE_DATABASE_PREFIX,
  ).catch((error: unknown) => {
    const code = (error as { code?: string }).code
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
      console.error(
        `PostgreSQL is not reachable at ${new URL(process.env.CERTUS_EXAMPLE_POSTGRES_URL ?? DEFAULT_SERVER_URL).host} (set CERTUS_EXAMPLE_POSTGRES_URL). This example did NOT run.`,
      )
      process.exitCode = 2
      return
    }
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error)
    process.exitCode = 1
  })
}
