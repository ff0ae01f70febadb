import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { StorageError } from '@certus-trust/storage'

/** A held lock on a data directory. */
export interface DirectoryLock {
  /** Removes the lock file. Idempotent. */
  release(): Promise<void>
}

/** Options for {@link acquireDirectoryLock}. */
export interface DirectoryLockOptions {
  /**
   * How long to wait for another live process to release the lock.
   * @default 5000
   */
  waitMs?: number
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes `<directory>/lock`: a file created exclusively that holds our pid. PGlite allows one process per data
 * directory, so every process that opens one (the server, the `certus` command) takes this lock first. A lock
 * whose process is gone (crash, kill -9) is stale and taken over.
 *
 * @throws StorageError `STORAGE_UNAVAILABLE` when the lock cannot be written, or another live process still
 * holds it after `waitMs` (`details.pid` names it).
 */
export async function acquireDirectoryLock(
  directory: string,
  { waitMs = 5_000 }: DirectoryLockOptions = {},
): Promise<DirectoryLock> {
  const path = join(directory, 'lock')
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600)
      await handle.writeFile(String(process.pid))
      await handle.close()
      let released = false
      return {
        async release() {
          if (released) return
          released = true
          await rm(path, { force: true })
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StorageError({
          code: 'STORAGE_UNAVAILABLE',
          message: `cannot lock data directory ${directory}`,
          cause: error,
        })
      }
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim())
    if (!isRunning(holder)) {
      await rm(path, { force: true })
      continue
    }
    if (Date.now() > deadline) {
      throw new StorageError({
        code: 'STORAGE_UNAVAILABLE',
        message: `data directory ${directory} is in use by process ${holder} (PGlite allows one process; stop it or use PostgreSQL)`,
        details: { pid: holder },
      })
    }
    await sleep(100)
  }
}
