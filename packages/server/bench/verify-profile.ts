/**
 * In-process `service.verify` of one `sha256:` bundle, 64 in flight, memory storage, for SECONDS; run under
 * `node --cpu-prof` (through tsx) to see where verification time goes.
 *
 *   node --cpu-prof --cpu-prof-dir DIR --import tsx bench/verify-profile.ts SECONDS
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { openTrustService } from '@certus-trust/service'

const seconds = Number(process.argv[2] ?? 5)
const dataDir = await mkdtemp(join(os.tmpdir(), 'certus-verify-profile-'))
const opened = await openTrustService({
  dataDir,
  storage: { kind: 'memory' },
  signingKeyPath: join(dataDir, 'signing.key'),
  logKeyPath: join(dataDir, 'log.key'),
  keyless: { enabled: false },
  transparency: { mode: 'embedded' },
  databasePoolSize: 4,
  upstreamTimeoutMs: 10_000,
  upstreamRetries: 0,
})
const context = { requestId: 'profile', clientId: 'profile' } as never
const artifact = `sha256:${createHash('sha256').update('verify profile').digest('hex')}`
const signed = await opened.service.sign({ artifact, artifact_type: 'file', subject: 'p' }, context)
const request = { artifact, bundle: signed.bundle } as never
let done = 0
const deadline = performance.now() + seconds * 1000
const started = performance.now()
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (performance.now() < deadline) {
      const result = await opened.service.verify(request, context)
      if (!result.valid) throw new Error('did not verify')
      done += 1
    }
  }),
)
console.log(`in-process verify: ${(done / ((performance.now() - started) / 1000)).toFixed(0)}/s`)
await opened.close()
await rm(dataDir, { recursive: true, force: true })
