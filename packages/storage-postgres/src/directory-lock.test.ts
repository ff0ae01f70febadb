import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireDirectoryLock } from './directory-lock.js'

describe('acquireDirectoryLock', () => {
  let directory: string
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'certus-lock-'))
  })
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true })
  })

  it('writes our pid, refuses a second holder while we live, and frees the directory on release', async () => {
    const lock = await acquireDirectoryLock(directory)
    expect((await readFile(join(directory, 'lock'), 'utf8')).trim()).toBe(String(process.pid))
    await expect(acquireDirectoryLock(directory, { waitMs: 150 })).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      details: { pid: process.pid },
    })
    await lock.release()
    await lock.release()
    const again = await acquireDirectoryLock(directory, { waitMs: 0 })
    await again.release()
  })

  it('takes over a lock left by a process that no longer runs', async () => {
    // A pid that certainly ended: a child we started and waited for.
    const child = spawnSync(process.execPath, ['-e', ''])
    expect(child.pid).toBeGreaterThan(0)
    await writeFile(join(directory, 'lock'), String(child.pid))
    const lock = await acquireDirectoryLock(directory, { waitMs: 0 })
    expect((await readFile(join(directory, 'lock'), 'utf8')).trim()).toBe(String(process.pid))
    await lock.release()
  })

  it('reports a directory it cannot write as STORAGE_UNAVAILABLE', async () => {
    await expect(acquireDirectoryLock(join(directory, 'missing', 'deeper'))).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
    })
  })
})
