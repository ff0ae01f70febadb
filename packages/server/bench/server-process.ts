/** The server process the HTTP benchmarks load: `dist/main.js` (what `pnpm start` runs) on memory storage. */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * Starts `dist/main.js` (what `pnpm start` runs) on memory storage and waits until it is healthy. `main` picks
 * another build's entry point (A/B benchmarks).
 */
export async function startServerProcess(
  dataDir: string,
  nodeArgs: string[] = [],
  main: string = fileURLToPath(new URL('../dist/main.js', import.meta.url)),
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(process.execPath, [...nodeArgs, main], {
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
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    const healthy = await fetch(`${url}/v1/health`).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) return { url, child }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error('server did not become healthy within 60 s')
}

/** A `POST /v1/verify` body for a bundle the server at `url` signs now (a `sha256:` digest of `label`). */
export async function signedVerifyBody(url: string, label: string): Promise<string> {
  const artifact = `sha256:${createHash('sha256').update(label).digest('hex')}`
  const signed = (await fetch(`${url}/v1/sign`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ artifact, artifact_type: 'file', subject: 'bench' }),
  }).then((response) => response.json())) as { bundle: unknown }
  return JSON.stringify({ artifact, bundle: signed.bundle })
}

/**
 * The request the HTTP profiles load the server at `url` with: `POST /v1/sign` of fresh `sha256:` digests,
 * `POST /v1/verify` of one bundle the server signs now, or `GET /v1/health` (the HTTP stack alone).
 */
export async function benchRequest(url: string, mode: string) {
  let counter = 0
  if (mode === 'sign') {
    const body = () =>
      JSON.stringify({
        artifact: `sha256:${createHash('sha256').update(`load ${counter++}`).digest('hex')}`,
        artifact_type: 'file',
        subject: 'bench',
      })
    return { method: 'POST' as const, path: '/v1/sign', body }
  }
  if (mode === 'health') return { method: 'GET' as const, path: '/v1/health' }
  const verifyBody = await signedVerifyBody(url, 'verify')
  return { method: 'POST' as const, path: '/v1/verify', body: () => verifyBody }
}
