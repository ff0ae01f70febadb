/**
 * Profiles the server process (dist/main.js, memory storage) under HTTP load: 64 connections of
 * `POST /v1/verify` (or `/v1/sign`) for SECONDS, with `--cpu-prof` on the server; prints the request rate.
 *
 *   tsx bench/http-profile.ts verify|sign SECONDS OUT_DIR
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runLoad } from '../test/load-runner.js'

const [mode = 'verify', secondsArg = '5', outDir = os.tmpdir()] = process.argv.slice(2)
const seconds = Number(secondsArg)
const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`
const dataDir = await mkdtemp(join(os.tmpdir(), 'certus-http-profile-'))
const port = 30000 + Math.floor(Math.random() * 20000)
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', outDir, main], {
  env: {
    ...process.env,
    CERTUS_TRUST_PORT: String(port),
    CERTUS_TRUST_HOST: '127.0.0.1',
    CERTUS_TRUST_DATA_DIR: dataDir,
    CERTUS_TRUST_STORAGE: 'memory',
    CERTUS_TRUST_LOG_LEVEL: 'silent',
    CERTUS_TRUST_RATE_LIMIT: '0',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
})
const url = `http://127.0.0.1:${port}`
for (;;) {
  if (
    await fetch(`${url}/v1/health`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break
  await new Promise((resolve) => setTimeout(resolve, 50))
}
let counter = 0
const signBody = () =>
  JSON.stringify({ artifact: digestOf(`p ${counter++}`), artifact_type: 'file', subject: 'bench' })
const artifact = digestOf('verify')
const signed = (await fetch(`${url}/v1/sign`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ artifact, artifact_type: 'file', subject: 'bench' }),
}).then((response) => response.json())) as { bundle: unknown }
const verifyBody = JSON.stringify({ artifact, bundle: signed.bundle })
const request =
  mode === 'sign'
    ? { method: 'POST' as const, path: '/v1/sign', body: signBody }
    : { method: 'POST' as const, path: '/v1/verify', body: () => verifyBody }
await runLoad(url, request, { seconds: 1, connections: 64 })
const result = await runLoad(url, request, { seconds, connections: 64 })
console.log(
  `${mode}: ${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`,
)
child.kill('SIGINT')
await new Promise((resolve) => child.once('exit', resolve))
await rm(dataDir, { recursive: true, force: true })
