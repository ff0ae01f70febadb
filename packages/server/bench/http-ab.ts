/**
 * A/B of the HTTP server between two builds of the repository, to cancel the load of a shared machine: both builds'
 * `dist/main.js` run side by side (memory storage) and take 64-connection load (`POST /v1/sign` with `sha256:`
 * digests, or `POST /v1/verify` of one bundle) in alternating slices. Per slice it reads the request rate and the
 * server process's CPU time per request (/proc/PID/stat, what other processes' load disturbs least), and prints the
 * medians of the per-round ratios.
 *
 *   tsx bench/http-ab.ts <before-repo> <after-repo> [sign|verify] [rounds] [slice-seconds]
 */
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join, resolve } from 'node:path'
import { runLoad } from '../test/load-runner.js'
import { signedVerifyBody, startServerProcess } from './server-process.js'

const [beforeRepo, afterRepo, mode = 'sign', roundsText = '6', sliceText = '2'] = process.argv.slice(2)
if (!beforeRepo || !afterRepo || (mode !== 'sign' && mode !== 'verify'))
  throw new Error('usage: http-ab.ts <before-repo> <after-repo> [sign|verify] [rounds] [slice-seconds]')
const rounds = Number(roundsText)
const sliceSeconds = Number(sliceText)
const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`
const TICKS_PER_SECOND = 100 // USER_HZ on Linux

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

interface Side {
  url: string
  child: ChildProcess
  body: () => string
}

async function side(repo: string, dataDir: string): Promise<Side> {
  const main = join(resolve(repo), 'packages/server/dist/main.js')
  const { url, child } = await startServerProcess(dataDir, [], main)
  let counter = 0
  const signBody = () =>
    JSON.stringify({ artifact: digestOf(`ab ${repo} ${counter++}`), artifact_type: 'file', subject: 'bench' })
  if (mode === 'sign') return { url, child, body: signBody }
  const verifyBody = await signedVerifyBody(url, `ab verify ${repo}`)
  return { url, child, body: () => verifyBody }
}

async function slice(target: Side): Promise<{ rate: number; cpuMicros: number }> {
  const pid = target.child.pid!
  const cpuBefore = cpuSeconds(pid)
  const result = await runLoad(
    target.url,
    { method: 'POST', path: `/v1/${mode}`, body: target.body },
    { seconds: sliceSeconds, connections: 64 },
  )
  const cpu = cpuSeconds(pid) - cpuBefore
  if (result.non2xx + result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`)
  return { rate: result.requests.average, cpuMicros: (cpu * 1e6) / Math.max(1, result['2xx']) }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const dataDir = await mkdtemp(join(os.tmpdir(), 'certus-http-ab-'))
const before = await side(beforeRepo, join(dataDir, 'before'))
const after = await side(afterRepo, join(dataDir, 'after'))
try {
  const rateRatios: number[] = []
  const cpuRatios: number[] = []
  for (const target of [before, after]) await slice(target) // warm-up (JIT, key tables)
  for (let round = 0; round < rounds; round++) {
    // Alternate which side goes first, so a drift in machine load falls on both alike.
    const [first, second] = round % 2 === 0 ? [before, after] : [after, before]
    const a = await slice(first)
    const b = await slice(second)
    const [old, now] = round % 2 === 0 ? [a, b] : [b, a]
    rateRatios.push(now.rate / old.rate)
    cpuRatios.push(now.cpuMicros / old.cpuMicros)
    console.log(
      `  ${old.rate.toFixed(0)}/s ${old.cpuMicros.toFixed(0)} µs → ${now.rate.toFixed(0)}/s ${now.cpuMicros.toFixed(0)} µs`,
    )
  }
  console.log(
    `${mode}, load ${os.loadavg()[0]?.toFixed(1)}: rate after÷before ${median(rateRatios).toFixed(2)}, ` +
      `server CPU per request after÷before ${median(cpuRatios).toFixed(2)}`,
  )
} finally {
  for (const target of [before, after]) target.child.kill('SIGTERM')
  await rm(dataDir, { recursive: true, force: true })
}
