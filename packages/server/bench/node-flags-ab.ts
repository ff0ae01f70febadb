/**
 * HTTP sign throughput of the production server (`dist/main.js`, memory storage, 64 connections, 2 s warm-up, 4 s
 * measured) under different Node flag sets, alternating, two rounds; prints req/s, p99 and the server's RSS.
 * Each argument is `CERTUS_TRUST_NODE_FLAGS` (`none` or `--flags`), optionally `|N` for glibc's MALLOC_MMAP_THRESHOLD_.
 *
 *   tsx bench/node-flags-ab.ts none "--max-semi-space-size=4 --no-maglev" "--max-semi-space-size=4|8192"
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { runLoad } from '../test/load-runner.js'
import { startServerProcess } from './server-process.js'

const configs = process.argv.slice(2)
let counter = 0
const body = () =>
  JSON.stringify({
    artifact: `sha256:${createHash('sha256').update(`f${counter++}`).digest('hex')}`,
    artifact_type: 'file',
    subject: 'b',
  })
for (let round = 0; round < 2; round++)
  for (const flags of configs) {
    const [nodeFlags, malloc] = flags.split('|')
    process.env.CERTUS_TRUST_NODE_FLAGS = nodeFlags
    if (malloc) process.env.MALLOC_MMAP_THRESHOLD_ = malloc
    else delete process.env.MALLOC_MMAP_THRESHOLD_
    const dataDir = await mkdtemp(join(os.tmpdir(), 'flags-'))
    const { url, child } = await startServerProcess(dataDir)
    await runLoad(url, { method: 'POST', path: '/v1/sign', body }, { seconds: 2, connections: 64 })
    const r = await runLoad(url, { method: 'POST', path: '/v1/sign', body }, { seconds: 4, connections: 64 })
    const status = (await import('node:fs')).readFileSync(`/proc/${child.pid}/status`, 'utf8')
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
    console.log(
      `${flags.padEnd(45)} ${r.requests.average.toFixed(0)} req/s p99 ${r.latency.p99} ms, RSS ${rss.toFixed(0)} MB, load ${os.loadavg()[0]!.toFixed(1)}`,
    )
    child.kill('SIGTERM')
    await new Promise((res) => child.once('exit', res))
    await rm(dataDir, { recursive: true, force: true })
  }
