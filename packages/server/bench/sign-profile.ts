/**
 * Profiles in-process signing (sign + log append + record, 64 in flight) on one backend, for "where the time goes"
 * in docs/benchmarks.md. Only the measured window is profiled (after a warm-up), so start-up and module loading do
 * not blur the picture. Writes PROFILE (a `.cpuprofile`), then summarise it with `bench/profile-summary.ts`:
 *
 *   tsx bench/sign-profile.ts memory|embedded 5 /tmp/sign.cpuprofile && tsx bench/profile-summary.ts /tmp/sign.cpuprofile
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import { join } from 'node:path'
import { defaultStorageConfig, openTrustService } from '@certus-trust/service'

const backend = process.argv[2] ?? 'memory'
const seconds = Number(process.argv[3] ?? 5)
const output = process.argv[4] ?? join(os.tmpdir(), `sign-${backend}.cpuprofile`)
const dataDir = await mkdtemp(join(os.tmpdir(), 'certus-sign-profile-'))
const opened = await openTrustService({
  dataDir,
  storage: backend === 'memory' ? { kind: 'memory' } : defaultStorageConfig(dataDir),
  signingKeyPath: join(dataDir, 'signing.key'),
  logKeyPath: join(dataDir, 'log.key'),
  keyless: { enabled: false },
  transparency: { mode: 'embedded' },
  databasePoolSize: 16,
  upstreamTimeoutMs: 10_000,
  upstreamRetries: 0,
})
const context = { requestId: 'profile', caller: 'profile' }
let next = 0
const run = async (millis: number): Promise<number> => {
  let done = 0
  const deadline = performance.now() + millis
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < deadline) {
        const artifact = `sha256:${createHash('sha256').update(`profile ${next++}`).digest('hex')}`
        await opened.service.sign({ artifact, artifact_type: 'file', subject: 'profile' }, context)
        done += 1
      }
    }),
  )
  return done
}
await run(1000)
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.start')
const done = await run(seconds * 1000)
const { profile } = await session.post('Profiler.stop')
await writeFile(output, JSON.stringify(profile))
process.stderr.write(`${backend}: ${done} signings, ${(done / seconds).toFixed(0)}/s; profile in ${output}\n`)
await opened.close()
await rm(dataDir, { recursive: true, force: true })
