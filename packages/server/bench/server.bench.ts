/**
 * HTTP benchmark of /v1/verify and /v1/sign for memory, PGlite and PostgreSQL storage, next to the in-process
 * cost of the same operations (the TrustService the routes call) measured in the same run.
 *
 *   pnpm --filter @certus-trust/server bench            (BENCH_SECONDS=5 BENCH_CONNECTIONS=10 by default)
 */
import os from 'node:os'
import {
  call,
  digestOf,
  postgresReachable,
  SIGNER_KEY,
  type StorageKind,
  startTestServer,
  VERIFIER_KEY,
} from '../test/helpers.js'
import { runLoad } from '../test/load-runner.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)

interface Row {
  storage: StorageKind
  operation: 'verify' | 'sign'
  httpRps: number
  p50: number
  p99: number
  inProcessOps: number
  inProcessMeanMs: number
}

/** Runs `operation` with `CONNECTIONS` in flight for `SECONDS`; returns ops/s and mean latency. */
async function inProcess(
  operation: (i: number) => Promise<unknown>,
): Promise<{ opsPerSecond: number; meanMs: number }> {
  let next = 0
  let done = 0
  let totalMs = 0
  const deadline = performance.now() + SECONDS * 1000
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now()
        await operation(next++)
        totalMs += performance.now() - t
        done += 1
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  return { opsPerSecond: done / elapsed, meanMs: totalMs / done }
}

async function benchStorage(kind: StorageKind): Promise<Row[]> {
  const { server, cleanup } = await startTestServer(kind)
  try {
    const service = server.deps.service
    const context = { requestId: 'bench', caller: 'bench' }
    const artifact = digestOf(`bench verify ${kind}`)
    const signed = await call(server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact,
      artifact_type: 'file',
      subject: 'bench',
    })
    const verifyRequest = { artifact, bundle: signed.json.bundle }
    const verifyBody = JSON.stringify(verifyRequest)

    const rows: Row[] = []
    // verify: same bundle every time (read-mostly path: crypto + one online lookup + one record insert)
    const verifyLocal = await inProcess(() => service.verify(verifyRequest, context))
    const verifyHttp = await runLoad(
      server.url,
      {
        method: 'POST',
        path: '/v1/verify',
        headers: { authorization: `Bearer ${VERIFIER_KEY}` },
        body: () => verifyBody,
      },
      { seconds: SECONDS, connections: CONNECTIONS },
    )
    rows.push({
      storage: kind,
      operation: 'verify',
      httpRps: verifyHttp.requests.average,
      p50: verifyHttp.latency.p50,
      p99: verifyHttp.latency.p99,
      inProcessOps: verifyLocal.opsPerSecond,
      inProcessMeanMs: verifyLocal.meanMs,
      ...(verifyHttp.non2xx + verifyHttp.errors > 0 ? { note: 'errors' } : {}),
    })

    // sign: a fresh digest per request (sign + log append + record insert)
    let counter = 0
    const signLocal = await inProcess((i) =>
      service.sign(
        { artifact: digestOf(`local ${kind} ${i}`), artifact_type: 'file', subject: 'bench' },
        context,
      ),
    )
    const signHttp = await runLoad(
      server.url,
      {
        method: 'POST',
        path: '/v1/sign',
        headers: { authorization: `Bearer ${SIGNER_KEY}` },
        body: () =>
          JSON.stringify({
            artifact: digestOf(`http ${kind} ${counter++}`),
            artifact_type: 'file',
            subject: 'bench',
          }),
      },
      { seconds: SECONDS, connections: CONNECTIONS },
    )
    rows.push({
      storage: kind,
      operation: 'sign',
      httpRps: signHttp.requests.average,
      p50: signHttp.latency.p50,
      p99: signHttp.latency.p99,
      inProcessOps: signLocal.opsPerSecond,
      inProcessMeanMs: signLocal.meanMs,
    })
    for (const [name, result] of [
      ['verify', verifyHttp],
      ['sign', signHttp],
    ] as const) {
      if (result.errors + result.non2xx + result.timeouts > 0) {
        console.error(
          `!! ${kind} ${name}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`,
        )
      }
    }
    return rows
  } finally {
    await cleanup()
  }
}

const kinds: StorageKind[] = ['memory', 'pglite']
if (await postgresReachable()) kinds.push('postgres')
else console.error('!! PostgreSQL at 127.0.0.1:5432 unreachable: postgres rows NOT measured')

const rows: Row[] = []
for (const kind of kinds) rows.push(...(await benchStorage(kind)))

const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
console.log(
  `\nNode ${process.version}, ${os.cpus().length} cores (${cpu}), ${SECONDS}s per run, ${CONNECTIONS} connections\n`,
)
console.log(
  '| storage | operation | HTTP req/s | HTTP p50 ms | HTTP p99 ms | in-process ops/s | in-process mean ms | in-process ÷ HTTP |',
)
console.log('|---|---|---:|---:|---:|---:|---:|---:|')
for (const row of rows) {
  console.log(
    `| ${row.storage} | ${row.operation} | ${row.httpRps.toFixed(0)} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} | ${row.inProcessOps.toFixed(0)} | ${row.inProcessMeanMs.toFixed(2)} | ${(row.inProcessOps / row.httpRps).toFixed(2)}× |`,
  )
}
