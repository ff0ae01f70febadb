import type { TransparencyLog } from '@certus-trust/tlog'
import { type DataDir, openDataDir } from './data-dir.js'
import { CliError } from './errors.js'
import { exists } from './files.js'
import type { CliIo } from './io.js'

/** The embedded transparency log of a data directory, open for this process. */
export interface EmbeddedLog {
  log: TransparencyLog
  dataDir: DataDir
  /** Closes the log and its database and releases the directory. Idempotent. */
  close(): Promise<void>
}

/**
 * Opens the data directory's embedded log: PGlite state in `log-db/`, the log key in `log-key.pem`
 * (generated on first use). Heavy modules are imported here, not at start-up.
 *
 * @param create - create the directory, database and key when missing (sign, attest, trust-root export);
 *   read-only commands (log …) pass false and get `CLI_DATA_DIR` for a directory that holds no log.
 */
export async function openEmbeddedLog(
  io: CliIo,
  dataDirOption: string | undefined,
  create: boolean,
): Promise<EmbeddedLog> {
  const dataDir = await openDataDir(io.cwd, dataDirOption, create)
  const closers: Array<() => Promise<void>> = [() => dataDir.release()]
  const close = async () => {
    while (closers.length > 0) {
      const next = closers.pop() as () => Promise<void>
      await next().catch(() => undefined)
    }
  }
  try {
    if (!create && !(await exists(dataDir.databasePath))) {
      throw new CliError({
        code: 'CLI_DATA_DIR',
        message: `no embedded log in ${dataDir.path} (sign something first, or pass --data-dir / --rekor-url)`,
        details: { path: dataDir.path },
      })
    }
    const [{ createPGliteStorage }, { createTransparencyLog }] = await Promise.all([
      import('@certus-trust/storage-postgres'),
      import('@certus-trust/tlog'),
    ])
    const storage = await createPGliteStorage({ dataDir: dataDir.databasePath, migrate: true })
    closers.push(() => storage.close())
    const log = await createTransparencyLog({ storage, key: { path: dataDir.logKeyPath } })
    closers.push(() => log.close())
    let closed = false
    return {
      log,
      dataDir,
      async close() {
        if (closed) return
        closed = true
        await close()
      },
    }
  } catch (error) {
    await close()
    throw error
  }
}
