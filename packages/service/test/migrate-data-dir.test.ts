import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageError } from '@certus-trust/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateCommandFor, migrateDataDirToSqlite } from '../src/entries/data-dir.js'
import { ServiceError } from '../src/index.js'
import { explainMissingPGlite } from '../src/legacy-pglite.js'

// The copy itself (PGlite → SQLite) is exercised end to end by packages/cli/test/migrate-sqlite.test.ts; these
// are the refusals, which must never open (or change) anything.
let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'certus-migrate-dir-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function refusal(path: string): Promise<ServiceError> {
  const error = await migrateDataDirToSqlite({ path, waitMs: 0 }).catch((caught: unknown) => caught)
  expect(ServiceError.is(error, 'SERVICE_DATA_DIR'), String(error)).toBe(true)
  return error as ServiceError
}

describe('migrateDataDirToSqlite refusals', () => {
  it('refuses a missing directory and one without a PGlite database', async () => {
    expect((await refusal(join(root, 'missing'))).details).toMatchObject({ reason: 'missing' })
    await mkdir(join(root, 'empty'))
    expect((await refusal(join(root, 'empty'))).details).toMatchObject({ reason: 'no_legacy_database' })
  })

  it('refuses a directory that already holds certus.db (or certus-rekor-v2.db), touching nothing', async () => {
    for (const file of ['certus.db', 'certus-rekor-v2.db']) {
      const path = join(root, `has-${file}`)
      await mkdir(join(path, 'log-db'), { recursive: true })
      await writeFile(join(path, file), '')
      const error = await refusal(path)
      expect(error.details).toMatchObject({ path, reason: 'already_sqlite' })
      expect(error.message).toContain(file)
      expect((await readdir(path)).sort()).toEqual([file, 'log-db'].sort())
    }
  })
})

describe('explainMissingPGlite', () => {
  const missing = new StorageError({
    code: 'STORAGE_UNAVAILABLE',
    message: 'the PGlite backend needs the package @electric-sql/pglite, which is not installed',
    details: { package: '@electric-sql/pglite' },
  })

  it("names the migrate command for a data directory's log-db and log-db-rekor-v2", () => {
    for (const name of ['log-db', 'log-db-rekor-v2']) {
      const error = explainMissingPGlite(missing, join('/srv/my data', name)) as StorageError
      expect(StorageError.is(error, 'STORAGE_UNAVAILABLE')).toBe(true)
      expect(error.message).toContain('npm install @electric-sql/pglite')
      expect(error.message).toContain("certus migrate --data-dir '/srv/my data' --to sqlite")
      expect(error.details).toMatchObject({ package: '@electric-sql/pglite' })
      expect(error.cause).toBe(missing)
    }
  })

  it('only names the install command for another PGlite directory, and leaves other errors alone', () => {
    const error = explainMissingPGlite(missing, '/srv/pglite') as StorageError
    expect(error.message).toContain('npm install @electric-sql/pglite')
    expect(error.message).not.toContain('certus migrate')
    const other = new StorageError({ code: 'STORAGE_CORRUPT', message: 'damaged' })
    expect(explainMissingPGlite(other, '/srv/x/log-db')).toBe(other)
  })

  it('quotes data directories a shell would split', () => {
    expect(migrateCommandFor('/srv/certus')).toBe('certus migrate --data-dir /srv/certus --to sqlite')
    expect(migrateCommandFor("/srv/it's")).toBe("certus migrate --data-dir '/srv/it'\\''s' --to sqlite")
  })
})
