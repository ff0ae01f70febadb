#!/usr/bin/env node
// Footprint benchmark of the embedded default (issue 11): process time and peak RSS of `certus sign` vs
// `certus --version` in the same run, SQLite vs a legacy PGlite data directory; `certus serve` start-up to
// ready, RSS after N signings, and sign+log throughput over HTTP on SQLite vs PostgreSQL.
// Run after `pnpm build`:  node scripts/bench-footprint.mjs [--runs 5] [--signings 1000] [--only cli]
// (`--only cli`: the first section alone, sign vs --version, without the PGlite and serve parts).
// PostgreSQL: CERTUS_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); a throwaway
// database named with CERTUS_TEST_DATABASE_PREFIX (default certus_bench_) is created and dropped.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    signings: { type: 'string', default: '1000' },
    only: { type: 'string' },
  },
})
const RUNS = Number(values.runs)
const SIGNINGS = Number(values.signings)
const BIN = join(import.meta.dirname, '..', 'packages', 'cli', 'dist', 'bin.js')
const ADMIN_URL = process.env.CERTUS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const PREFIX = process.env.CERTUS_TEST_DATABASE_PREFIX ?? 'certus_bench_'
const scratch = mkdtempSync(join(tmpdir(), 'certus-footprint-'))
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]

/**
 * One process under /usr/bin/time: wall milliseconds (timed here around the spawn: /usr/bin/time's own %e has only
 * 10 ms resolution, a third of `--version`) and peak RSS (MB).
 */
function timed(args, cwd) {
  const started = performance.now()
  const result = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const ms = performance.now() - started
  if (result.status !== 0) throw new Error(`certus ${args.join(' ')} failed: ${result.stderr}`)
  const kb = Number(result.stderr.trim().split('\n').at(-1))
  return { ms, mb: kb / 1024 }
}

function measure(label, args, cwd, samples = Array.from({ length: RUNS }, () => timed(args, cwd))) {
  const times = samples.map((s) => s.ms)
  const result = { label, ms: median(times), mb: median(samples.map((s) => s.mb)) }
  console.log(
    `${label.padEnd(44)} ${result.ms.toFixed(0).padStart(6)} ms (${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)})  ${result.mb.toFixed(0).padStart(5)} MB RSS`,
  )
  return result
}

function cliFootprint() {
  const work = join(scratch, 'cli')
  execFileSync('mkdir', ['-p', work])
  writeFileSync(join(work, 'artifact.txt'), randomBytes(1024))
  execFileSync(
    process.execPath,
    [BIN, 'keygen', '--private-key', join(work, 'key.pem'), '--public-key', join(work, 'key.pub')],
    { cwd: work, stdio: 'ignore' },
  )
  const sign = ['sign', 'artifact.txt', '--key', 'key.pem', '--bundle', 'artifact.sigstore.json']
  console.log(`\ncertus sign vs --version (median of ${RUNS}, /usr/bin/time)`)
  timed(sign, work) // first run creates the data directory, keys and database
  // Interleaved (version, sign, version, …) so that a change in machine load shifts both alike.
  const pairs = Array.from({ length: RUNS }, () => [timed(['--version'], work), timed(sign, work)])
  const version = measure(
    'certus --version',
    ['--version'],
    work,
    pairs.map(([v]) => v),
  )
  const sqlite = measure(
    'certus sign (default data dir: SQLite)',
    sign,
    work,
    pairs.map(([, s]) => s),
  )
  console.log(
    `  ratio to --version: ${(sqlite.ms / version.ms).toFixed(2)}x time, ${sqlite.mb.toFixed(0)} MB`,
  )
  return { version, sqlite }
}

async function pgliteFootprint() {
  // A legacy data directory: PGlite in .certus/log-db, as versions before the SQLite default wrote it.
  const require = createRequire(
    join(import.meta.dirname, '..', 'packages', 'storage-postgres', 'package.json'),
  )
  const { createPGliteStorage } = await import(require.resolve('@certus-trust/storage-postgres'))
  const work = join(scratch, 'pglite')
  execFileSync('mkdir', ['-p', join(work, '.certus')])
  writeFileSync(join(work, 'artifact.txt'), randomBytes(1024))
  execFileSync(
    process.execPath,
    [BIN, 'keygen', '--private-key', join(work, 'key.pem'), '--public-key', join(work, 'key.pub')],
    { cwd: work, stdio: 'ignore' },
  )
  await (await createPGliteStorage({ dataDir: join(work, '.certus', 'log-db'), migrate: true })).close()
  const sign = ['sign', 'artifact.txt', '--key', 'key.pem', '--bundle', 'artifact.sigstore.json']
  timed(sign, work)
  return measure('certus sign (legacy PGlite data dir)', sign, work)
}

function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)[1]) / 1024
  return { rss: field('VmRSS'), peak: field('VmHWM') }
}

async function serve(label, storage) {
  const work = join(scratch, `serve-${label}`)
  execFileSync('mkdir', ['-p', work])
  const port = 20000 + Math.floor(Math.random() * 20000)
  const args = [BIN, 'serve', '--port', String(port), ...(storage ? ['--storage', storage] : [])]
  const started = performance.now()
  const child = spawn(process.execPath, args, {
    cwd: work,
    stdio: ['ignore', 'ignore', 'pipe'],
    // The per-client rate limit (600/min by default) would throttle the benchmark's single client: lift it.
    env: { ...process.env, CERTUS_TRUST_LOG_LEVEL: 'warn', CERTUS_TRUST_RATE_LIMIT: '0' },
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const url = `http://127.0.0.1:${port}`
  for (;;) {
    const ready = await fetch(`${url}/v1/ready`).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) break
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const readyMs = performance.now() - started
  const afterStart = rss(child.pid)
  const signOne = async (i) => {
    const digest = createHash('sha256').update(`${label}-${i}-${Math.random()}`).digest('hex')
    const response = await fetch(`${url}/v1/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ artifact: `sha256:${digest}`, artifact_type: 'file', subject: `f${i}` }),
    })
    if (response.status !== 201) throw new Error(`sign ${response.status}: ${await response.text()}`)
  }
  const signStart = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < SIGNINGS) await signOne(next++)
    }),
  )
  const seconds = (performance.now() - signStart) / 1000
  const after = rss(child.pid)
  child.kill('SIGTERM')
  await new Promise((resolve) => child.on('close', resolve))
  console.log(
    `${`certus serve (${label})`.padEnd(28)} ready in ${readyMs.toFixed(0)} ms, RSS ${afterStart.rss.toFixed(0)} MB after start; ` +
      `${SIGNINGS} signings (8 in flight): ${(SIGNINGS / seconds).toFixed(0)}/s, RSS ${after.rss.toFixed(0)} MB (peak ${after.peak.toFixed(0)} MB)`,
  )
  return { readyMs, throughput: SIGNINGS / seconds, rss: after.rss, peak: after.peak }
}

async function withPostgres(fn) {
  const require = createRequire(
    join(import.meta.dirname, '..', 'packages', 'storage-postgres', 'package.json'),
  )
  const pg = require('pg')
  const name = `${PREFIX}${process.pid}_${randomBytes(3).toString('hex')}`
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  try {
    return await fn(url.toString())
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  }
}

try {
  console.log(
    `node ${process.version}, load average ${(await import('node:os'))
      .loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  )
  if (values.only !== undefined && values.only !== 'cli') throw new Error('--only takes "cli"')
  cliFootprint()
  if (values.only !== 'cli') {
    await pgliteFootprint()
    console.log(
      `\ncertus serve: start-up to /v1/ready, then ${SIGNINGS} POST /v1/sign (digest input, embedded log)`,
    )
    await serve('default: SQLite', undefined)
    await withPostgres((url) => serve('PostgreSQL', url))
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
