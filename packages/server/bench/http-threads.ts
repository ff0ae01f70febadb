/**
 * Where the CPU of an HTTP load goes, per thread: runs 64-connection load on dist/main.js (memory storage) and reads
 * each server thread's CPU time (/proc/PID/task/TID/stat) and the load generator's own, per request, and the time the
 * server's main thread spent in garbage collection (a `gc` PerformanceObserver preloaded into it).
 *
 *   tsx bench/http-threads.ts sign|verify|health [seconds]
 *
 * `SERVER_NODE_ARGS` adds Node options to the server process (e.g. `--require ./count.cjs`).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
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
// Main-thread GC pauses from the measured window on (`mark` is touched when it starts), written out at exit.
const gcPreload = join(dataDir, 'gc-observer.cjs')
const gcReport = join(dataDir, 'gc.json')
writeFileSync(
  gcPreload,
  `const { PerformanceObserver } = require('node:perf_hooks'); const fs = require('node:fs')
   const total = { ms: 0, pauses: 0 }
   new PerformanceObserver((list) => {
     if (!fs.existsSync(${JSON.stringify(`${gcReport}.mark`)})) return
     for (const entry of list.getEntries()) { total.ms += entry.duration; total.pauses += 1 }
   }).observe({ entryTypes: ['gc'] })
   process.on('exit', () => fs.writeFileSync(${JSON.stringify(gcReport)}, JSON.stringify(total)))`,
)
const { url, child } = await startServerProcess(dataDir, [
  '--require',
  gcPreload,
  ...(process.env.SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
])
const request = await benchRequest(url, mode)
await runLoad(url, request, { seconds: 1, connections: 64 })
writeFileSync(`${gcReport}.mark`, '')
const before = threads(child.pid!)
const selfBefore = process.cpuUsage()
const result = await runLoad(url, request, { seconds: Number(secondsArg), connections: 64 })
const self = process.cpuUsage(selfBefore)
const after = threads(child.pid!)
const n = result['2xx']
console.log(
  `${mode}: ${result.requests.average.toFixed(0)} req/s, latency p50/p90/p99/max ` +
    `${result.latency.p50}/${result.latency.p90}/${result.latency.p99}/${result.latency.max} ms, ` +
    `load ${os.loadavg()[0]!.toFixed(1)}`,
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
// Pauses up to the server's exit: the measured window and its shutdown (a few ms).
const gc = JSON.parse(readFileSync(gcReport, 'utf8')) as { ms: number; pauses: number }
console.log(
  `  main-thread GC ${gc.ms.toFixed(0)} ms in ${gc.pauses} pauses: ${((gc.ms * 1000) / n).toFixed(1)} ms per 1,000 requests`,
)
await rm(dataDir, { recursive: true, force: true })
