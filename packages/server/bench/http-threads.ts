/**
 * Where the CPU of an HTTP load goes, per thread: runs 64-connection load on dist/main.js (memory storage) and reads
 * each server thread's CPU time (/proc/PID/task/TID/stat) and the load generator's own, per request.
 *
 *   tsx bench/http-threads.ts sign|verify|health [seconds]
 *
 * `SERVER_NODE_ARGS` adds Node options to the server process (e.g. `--require ./count.cjs`).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { runLoad } from '../test/load-runner.js'
import { benchRequest, startServerProcess } from './server-process.js'

const [mode = 'sign', secondsArg = '4'] = process.argv.slice(2)
const TICKS = 100

function threads(pid: number): Map<string, number> {
  const out = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(`${tid} ${name}`, (Number(fields[11]) + Number(fields[12])) / TICKS)
    } catch {
      // the thread exited meanwhile
    }
  }
  return out
}

const dataDir = await mkdtemp(join(os.tmpdir(), 'certus-http-threads-'))
const { url, child } = await startServerProcess(
  dataDir,
  (process.env.SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
)
const request = await benchRequest(url, mode)
await runLoad(url, request, { seconds: 1, connections: 64 })
const before = threads(child.pid!)
const selfBefore = process.cpuUsage()
const result = await runLoad(url, request, { seconds: Number(secondsArg), connections: 64 })
const self = process.cpuUsage(selfBefore)
const after = threads(child.pid!)
const n = result['2xx']
console.log(
  `${mode}: ${result.requests.average.toFixed(0)} req/s, latency p50/p90/p99/max ${(result.latency as Record<string, number>).p50}/${(result.latency as Record<string, number>).p90}/${result.latency.p99}/${(result.latency as Record<string, number>).max} ms, load ${os.loadavg()[0]!.toFixed(1)}`,
)
let total = 0
for (const [key, cpu] of after) {
  const used = cpu - (before.get(key) ?? 0)
  total += used
  if (used > 0.01)
    console.log(
      `  ${key.padEnd(28)} ${((used * 1e6) / n).toFixed(0).padStart(5)} µs/req  ${((100 * used) / Number(secondsArg)).toFixed(0)} % of a core`,
    )
}
console.log(
  `  server total ${((total * 1e6) / n).toFixed(0)} µs/req; load generator ${((self.user + self.system) / n).toFixed(0)} µs/req (${((self.user + self.system) / 1e4 / Number(secondsArg)).toFixed(0)} % of a core)`,
)
child.kill('SIGTERM')
await new Promise((resolve) => child.once('exit', resolve))
await rm(dataDir, { recursive: true, force: true })
