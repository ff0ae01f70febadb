import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ServerError } from './errors.js'

/** A held lock on a data directory. */
export interface DirectoryLock {
  release(): Promise<void>
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
 * Takes `<directory>/lock` the way the `certus` command does (an exclusive-create file holding our pid; a lock
 * whose process is gone is taken over), so a server and a CLI never open one PGlite database at once.
 * @throws ServerError `SERVER_UNAVAILABLE` when another live process holds it after `waitMs`.
 */
export async function acquireDirectoryLock(directory: string, waitMs = 5_000): Promise<DirectoryLock> {
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
        throw new ServerError({
          code: 'SERVER_UNAVAILABLE',
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
      throw new ServerError({
        code: 'SERVER_UNAVAILABLE',
        message: `data directory ${directory} is in use by process ${holder} (PGlite allows one process; stop it or use PostgreSQL)`,
        details: { pid: holder },
      })
    }
    await sleep(100)
  }
}
