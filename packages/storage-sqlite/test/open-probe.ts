// Child process of the fault tests: opens (and migrates) the database at argv[2] and prints the outcome as
// JSON — run as a user that cannot write there. Run with `node --import tsx`.
import { createSqliteStorage } from '../src/index.js'

try {
  const storage = await createSqliteStorage({ path: process.argv[2]!, migrate: true })
  await storage.saveVerificationRecord({ artifactHash: `sha256:${'ab'.repeat(32)}`, valid: true })
  await storage.close()
  process.stdout.write(JSON.stringify({ ok: true }))
} catch (error) {
  const { code, message } = error as { code?: string; message?: string }
  process.stdout.write(JSON.stringify({ ok: false, code, message }))
}
