import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { runLoad } from '/work/wt-perf12/packages/server/test/load-runner.js'
const dataDir = await mkdtemp(join(os.tmpdir(), 'perf12-http-'))
const port = 18000 + Math.floor(Math.random() * 1000)
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=/tmp/perf12prof/http', 'dist/main.js'], {
  env: { ...process.env, CERTUS_TRUST_PORT: String(port), CERTUS_TRUST_HOST: '127.0.0.1', CERTUS_TRUST_DATA_DIR: dataDir,
    CERTUS_TRUST_STORAGE: 'memory', CERTUS_TRUST_LOG_LEVEL: 'silent', CERTUS_TRUST_RATE_LIMIT: '0' },
  stdio: ['ignore', 'ignore', 'inherit'],
})
const url = `http://127.0.0.1:${port}`
for (;;) { if (await fetch(`${url}/v1/health`).then(r => r.ok, () => false)) break; await new Promise(r => setTimeout(r, 100)) }
let counter = 0
const body = () => JSON.stringify({ artifact: `sha256:${createHash('sha256').update(`x${counter++}`).digest('hex')}`, artifact_type: 'file', subject: 'bench' })
await runLoad(url, { method: 'POST', path: '/v1/sign', body }, { seconds: 1, connections: 64 })
const r = await runLoad(url, { method: 'POST', path: '/v1/sign', body }, { seconds: Number(process.argv[2] ?? 5), connections: Number(process.argv[3] ?? 64) })
console.log('sign', r.requests.average, 'p50', r.latency.p50, 'p99', r.latency.p99, 'non2xx', r.non2xx, 'errors', r.errors)
child.kill('SIGTERM'); await new Promise(r => child.once('exit', r))
