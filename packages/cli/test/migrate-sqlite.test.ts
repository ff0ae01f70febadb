import { execFile } from 'node:child_process'
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createPGliteStorage } from '@certus-trust/storage-postgres'
import { createSqliteStorage } from '@certus-trust/storage-sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, certus, json, type RunResult, tempDir } from './helpers.js'

/*
 * `certus migrate --to sqlite` on a data directory written the way versions before the SQLite default wrote it:
 * a PGlite database in `log-db/` (created here, the one PGlite instance of this file), then signed into by the
 * CLI. PGlite starts slowly on small machines: the CLI runs that open it get generous timeouts.
 */

interface MigrateJson {
  ok: boolean
  dataDir: string
  logs: Array<{
    log: string
    movedTo?: string
    target: string
    signedArtifacts: number
    verificationRecords: number
    trees: Array<{ treeId: string; active: boolean; treeSize: number; rootHash: string; leafCount: number }>
  }>
}

const SLOW = { timeout: 180_000 }
const ARTIFACT_HASH = `sha256:${'ab'.repeat(32)}`

describe('certus migrate --to sqlite (built bin, legacy PGlite data directory)', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  const p = (...parts: string[]) => join(dir.path, ...parts)
  let legacy: string
  /** Root hash and size of the log before migration, from the last bundle's inclusion proof. */
  let before: { size: number; root: string }
  let saved: { artifacts: unknown[]; verifications: unknown[] }

  beforeAll(async () => {
    dir = await tempDir('certus-migrate-')
    legacy = p('legacy')
    await mkdir(legacy, { recursive: true })
    const keygen = await certus(['keygen', '--private-key', p('key.pem'), '--public-key', p('key.pub')])
    expect(keygen.code, keygen.stderr).toBe(0)
    // The previous code path's database, with records the server would have saved in it.
    const pglite = await createPGliteStorage({ dataDir: join(legacy, 'log-db'), migrate: true })
    try {
      const artifact = await pglite.saveSignedArtifact({
        artifactHash: ARTIFACT_HASH,
        artifactType: 'sbom',
        subject: 'app.spdx.json',
        signature: 'c2lnbmF0dXJl',
        publicKey: await readFile(p('key.pub'), 'utf8'),
        bundle: { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', z: [1, 2], a: { b: null } },
        predicates: { predicateType: 'https://slsa.dev/provenance/v1' },
        idempotencyKey: 'release-1',
      })
      const second = await pglite.saveSignedArtifact({
        artifactHash: `sha256:${'cd'.repeat(32)}`,
        artifactType: 'file',
        subject: 'b.bin',
        signature: 'c2ln',
        bundle: { mediaType: 'x' },
      })
      const verification = await pglite.saveVerificationRecord({
        artifactHash: ARTIFACT_HASH,
        valid: false,
        failureCode: 'VERIFIER_SIGNATURE',
        failureMessage: 'signature does not match',
      })
      saved = { artifacts: [second, artifact], verifications: [verification] }
    } finally {
      await pglite.close()
    }
    for (const name of ['a1', 'a2', 'a3']) await writeFile(p(`${name}.txt`), `${name}\n`)
    const signed = await certus(
      ['sign', p('a1.txt'), p('a2.txt'), p('a3.txt'), '--key', p('key.pem'), '--data-dir', legacy, '--json'],
      SLOW,
    )
    expect(signed.code, signed.stderr).toBe(0)
    // The files are signed concurrently, so any of them may be logged last: the log as it stands is what the
    // bundle(s) of the last commit prove against, the largest tree among the three proofs.
    const proofs = await Promise.all(
      ['a1', 'a2', 'a3'].map(async (name) => {
        const bundle = JSON.parse(await readFile(p(`${name}.txt.sigstore.json`), 'utf8'))
        return bundle.verificationMaterial.tlogEntries[0].inclusionProof
      }),
    )
    const latest = proofs.reduce((a, b) => (Number(b.treeSize) > Number(a.treeSize) ? b : a))
    before = { size: Number(latest.treeSize), root: Buffer.from(latest.rootHash, 'base64').toString('hex') }
    expect(before.size).toBe(3)
    expect(await readdir(legacy)).not.toContain('certus.db')
  }, 300_000)
  afterAll(() => dir?.cleanup())

  /** A copy of the legacy directory as it is now (a closed PGlite database copies as files). */
  async function copyOfLegacy(name: string): Promise<string> {
    const target = p(name)
    await cp(legacy, target, { recursive: true })
    return target
  }

  it('names the migrate command when a legacy directory is opened without PGlite installed', async () => {
    const copy = await copyOfLegacy('no-pglite')
    // A resolve hook that makes @electric-sql/pglite missing, as in an install without the optional peer.
    const hook = p('hide-pglite.mjs')
    await writeFile(
      hook,
      `import { registerHooks } from 'node:module'
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === '@electric-sql/pglite' || specifier.startsWith('@electric-sql/pglite/')) {
      throw Object.assign(new Error('Cannot find package ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' })
    }
    return next(specifier, context)
  },
})
`,
    )
    const result = await runNode(['--import', hook, BIN, 'log', 'info', '--data-dir', copy])
    expect(result.code, result.stderr).toBe(4)
    expect(result.stderr).toContain('npm install @electric-sql/pglite')
    expect(result.stderr).toContain(`certus migrate --data-dir ${copy} --to sqlite`)
    expect(result.stderr).toContain('(STORAGE_UNAVAILABLE)')
    // The migration itself needs PGlite to read the database: same message, nothing changed.
    const migrate = await runNode(['--import', hook, BIN, 'migrate', '--to', 'sqlite', '--data-dir', copy])
    expect(migrate.code).toBe(4)
    expect(migrate.stderr).toContain('npm install @electric-sql/pglite')
    expect((await readdir(copy)).sort()).toEqual((await readdir(legacy)).sort())
  }, 120_000)

  it('leaves the directory unchanged when a database cannot be read (temporary files removed)', async () => {
    const copy = await copyOfLegacy('broken-v2')
    // The Rekor v2 log's PGlite directory is damaged: the v1 copy succeeds, then the v2 one fails.
    await mkdir(join(copy, 'log-db-rekor-v2'))
    await writeFile(join(copy, 'log-db-rekor-v2', 'PG_VERSION'), 'not a version\n')
    // What a run killed between its two renames leaves (certus-rekor-v2.db without certus.db) is not "already
    // SQLite", and a killed run's temporary file is cleared.
    await writeFile(join(copy, 'certus-rekor-v2.db'), 'left by an interrupted run\n')
    const listing = (await readdir(copy)).sort()
    await writeFile(join(copy, 'certus.db.migrating-999999'), 'stale')
    const result = await certus(['migrate', '--to', 'sqlite', '--data-dir', copy, '--json'], SLOW)
    expect(result.code, result.stderr).toBe(4)
    expect(json<{ ok: boolean; error: { code: string; message: string } }>(result)).toMatchObject({
      ok: false,
      error: { code: 'CLI_DATA_DIR', message: expect.stringContaining('nothing was changed') },
    })
    expect((await readdir(copy)).sort()).toEqual(listing)
  }, 200_000)

  it('refuses bad flag combinations and directories with nothing to migrate', async () => {
    const noTo = await certus(['migrate', '--data-dir', legacy])
    expect(noTo.code).toBe(2)
    expect(noTo.stderr).toContain('--to sqlite')
    const both = await certus([
      'migrate',
      '--to',
      'sqlite',
      '--data-dir',
      legacy,
      '--database-url',
      'postgres://x',
    ])
    expect(both.code).toBe(2)
    const wrongTarget = await certus(['migrate', '--to', 'postgres', '--data-dir', legacy])
    expect(wrongTarget.code).toBe(2)
    await mkdir(p('empty'))
    const empty = await certus(['migrate', '--to', 'sqlite', '--data-dir', p('empty'), '--json'])
    expect(empty.code).toBe(4)
    expect(json<{ error: { code: string; message: string } }>(empty).error.message).toContain(
      'no PGlite database',
    )
  })

  it('copies everything into certus.db, verifies it, switches over and keeps the PGlite directory', async () => {
    // A second PGlite database as the Rekor v2 log's (a copy of the first: a genuine PGlite directory).
    await cp(join(legacy, 'log-db'), join(legacy, 'log-db-rekor-v2'), { recursive: true })
    const migrated = await certus(['migrate', '--to', 'sqlite', '--data-dir', legacy, '--json'], SLOW)
    expect(migrated.code, migrated.stderr).toBe(0)
    const result = json<MigrateJson>(migrated)
    expect(result.logs.map((log) => log.log)).toEqual(['rekor-v1', 'rekor-v2'])
    const [v1, v2] = result.logs
    expect(v1).toMatchObject({
      target: join(legacy, 'certus.db'),
      signedArtifacts: 2,
      verificationRecords: 1,
    })
    expect(v1?.trees).toEqual([
      expect.objectContaining({ active: true, treeSize: before.size, leafCount: 3, rootHash: before.root }),
    ])
    expect(v2).toMatchObject({ target: join(legacy, 'certus-rekor-v2.db'), trees: v1?.trees })
    const files = await readdir(legacy)
    expect(files).toEqual(expect.arrayContaining(['certus.db', 'certus-rekor-v2.db', 'log-key.pem']))
    expect(files).not.toContain('log-db')
    expect(files.filter((name) => /^log-db(-rekor-v2)?\.migrated-\d{8}T\d{6}Z$/.test(name))).toHaveLength(2)
    expect(files.some((name) => name.includes('.migrating-') || name.endsWith('-wal'))).toBe(false)
    expect(v1?.movedTo).toBe(join(legacy, files.find((name) => name.startsWith('log-db.migrated-'))!))

    // The records, field for field, in SQLite.
    const sqlite = await createSqliteStorage({ path: join(legacy, 'certus.db') })
    try {
      expect(byId((await sqlite.listSignedArtifacts()).items)).toEqual(byId(saved.artifacts))
      expect((await sqlite.listVerificationRecords()).items).toEqual(saved.verifications)
    } finally {
      await sqlite.close()
    }

    // Running again refuses: the directory is on SQLite now.
    const again = await certus(['migrate', '--to', 'sqlite', '--data-dir', legacy, '--json'])
    expect(again.code).toBe(4)
    expect(json<{ error: { code: string; message: string } }>(again).error).toMatchObject({
      code: 'CLI_DATA_DIR',
      message: expect.stringContaining('already holds certus.db'),
    })
  }, 200_000)

  it('the migrated directory continues the log: next index, old bundles and proofs verify', async () => {
    await writeFile(p('a4.txt'), 'a4\n')
    const signed = await certus(['sign', p('a4.txt'), '--key', p('key.pem'), '--data-dir', legacy, '--json'])
    expect(signed.code, signed.stderr).toBe(0)
    expect(json<{ results: Array<{ logIndex: number }> }>(signed).results[0]?.logIndex).toBe(3)

    // A bundle written before the migration still verifies in the migrated directory.
    const verified = await certus([
      'verify',
      p('a1.txt'),
      '--key',
      p('key.pub'),
      '--data-dir',
      legacy,
      '--json',
    ])
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)

    // The new tree extends the one the old bundles saw, and old entries prove into the new checkpoint.
    const consistent = await certus([
      'log',
      'consistency',
      '--from',
      String(before.size),
      '--from-root',
      before.root,
      '--data-dir',
      legacy,
      '--json',
    ])
    expect(consistent.code, consistent.stderr).toBe(0)
    expect(json<{ verified: boolean; toSize: number }>(consistent)).toMatchObject({
      verified: true,
      toSize: 4,
    })
    const proof = await certus(['log', 'proof', '--index', '0', '--data-dir', legacy, '--json'])
    expect(proof.code, proof.stderr).toBe(0)
    expect(json<{ verified: string[]; inclusionProof: { treeSize: number } }>(proof)).toMatchObject({
      verified: expect.arrayContaining(['inclusionProof', 'checkpoint']),
      inclusionProof: { treeSize: 4 },
    })
    const search = await certus(['log', 'search', '--artifact', p('a2.txt'), '--data-dir', legacy, '--json'])
    expect(json<{ uuids: string[] }>(search).uuids).toHaveLength(1)
  }, 120_000)
})

function byId<T>(items: T[]): T[] {
  return [...items].sort((a, b) => String((a as { id: string }).id).localeCompare((b as { id: string }).id))
}

/** Runs node with `args` (flags before the script) and collects the result. */
function runNode(args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { env: { ...process.env, CERTUS_DEBUG: undefined }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 70) : 0, stdout, stderr })
      },
    )
  })
}
