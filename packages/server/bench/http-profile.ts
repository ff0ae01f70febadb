/**
 * Profiles the server process (dist/main.js, memory storage) under HTTP load: 64 connections of
 * `POST /v1/verify` (or `/v1/sign`, or `GET /v1/health`: the HTTP stack alone) for SECONDS, with `--cpu-prof` on the
 * server; prints the request rate.
 *
 *   tsx bench/http-profile.ts verify|sign|health SECONDS OUT_DIR
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { runLoad } from '../test/load-runner.js'
import { benchRequest, startServerProcess } from './server-process.js'

const [mode = 'verify', secondsArg = '5', outDir = os.tmpdir()] = process.argv.slice(2)
const seconds = Number(secondsArg)
const dataDir = await mkdtemp(join(os.tmpdir(), 'certus-http-profile-'))
const { url, child } = await startServerProcess(dataDir, ['--cpu-prof', '--cpu-prof-dir', outDir])
const request = await benchRequest(url, mode)
await runLoad(url, request, { seconds: 1, connections: 64 })
const result = await runLoad(url, request, { seconds, connections: 64 })
console.log(
  `${mode}: ${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`,
)
child.kill('SIGINT')
await new Promise((resolve) => child.once('exit', resolve))
await rm(dataDir, { recursive: true, force: true })
