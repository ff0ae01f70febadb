import { createHash } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import { join } from 'node:path'
import { openTrustService } from '@certus-trust/service'

const dataDir = await mkdtemp(join(os.tmpdir(), 'vp-'))
const opened = await openTrustService({
  dataDir,
  storage: { kind: 'memory' },
  signingKeyPath: join(dataDir, 's.key'),
  logKeyPath: join(dataDir, 'l.key'),
  keyless: { enabled: false },
  transparency: { mode: 'embedded' },
  databasePoolSize: 4,
  upstreamTimeoutMs: 1000,
  upstreamRetries: 0,
} as never)
const ctx = { requestId: 'b', caller: 'b' }
const artifact = `sha256:${createHash('sha256').update('x').digest('hex')}`
const signed = await opened.service.sign({ artifact, artifact_type: 'file', subject: 'b' } as never, ctx)
for (let i = 0; i < 200; i++) await opened.service.verify({ artifact, bundle: signed.bundle } as never, ctx)
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.start')
const t = performance.now()
let n = 0
while (performance.now() - t < 3000) {
  await Promise.all(
    Array.from({ length: 16 }, () =>
      opened.service.verify({ artifact, bundle: signed.bundle } as never, ctx),
    ),
  )
  n += 16
}
console.log('verify/s', (n / ((performance.now() - t) / 1000)).toFixed(0))
const { profile } = await session.post('Profiler.stop')
await writeFile('/tmp/verify.cpuprofile', JSON.stringify(profile))
await opened.close()
