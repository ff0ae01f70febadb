// A/B verification cost of two builds of @certus-trust/verifier in ONE process, interleaved in short rounds, so that
// load from other processes on a shared machine hits both alike (bench:verify runs are minutes apart and move 2-3x).
//
//   SIGSTORE_CONFORMANCE_ASSETS=… node docs/tools/bench-verify-ab.mjs <before>/packages/verifier <after>/packages/verifier
//
// Prints per-case median rates (bundles/s), CPU µs per bundle, and the after/before ratios (medians of per-round
// ratios); the last line is one JSON object.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const [beforeDir, afterDir] = process.argv.slice(2)
const assets = process.env.SIGSTORE_CONFORMANCE_ASSETS
if (!beforeDir || !afterDir || !assets) {
  console.error(
    'usage: SIGSTORE_CONFORMANCE_ASSETS=… node bench-verify-ab.mjs <before verifier dir> <after verifier dir>',
  )
  process.exit(2)
}
const load = (dir) => import(pathToFileURL(resolve(dir, 'dist/index.js')).href)
const [before, after] = await Promise.all([load(beforeDir), load(afterDir)])

const policy = {
  identity:
    'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  issuer: 'https://token.actions.githubusercontent.com',
}
const artifact = readFileSync(join(assets, 'a.txt'))
const v03 = readFileSync(join(assets, 'happy-path-v0.3', 'bundle.sigstore.json'), 'utf8')
const dsseDir = join(assets, 'happy-path-intoto-in-dsse-v3')
const dsse = readFileSync(join(dsseDir, 'bundle.sigstore.json'), 'utf8')
// The DSSE case signs a.txt unless the case directory carries its own artifact (as bench:verify does).
let dsseArtifact = artifact
try {
  dsseArtifact = readFileSync(join(dsseDir, 'artifact'))
} catch {}

function cases(module) {
  // A fresh verifier per case: the per-bundle path (leaf parse, chain and path checks) is what is measured; the
  // chain cache stays on, as in production.
  const v = module.createVerifier()
  return {
    'happy-path-v0.3': () => v.verify(v03, artifact, policy),
    'happy-path-intoto-in-dsse-v3': () => v.verify(dsse, dsseArtifact, policy),
  }
}

/** Runs `run` for `milliseconds`: wall-clock rate, and process CPU time per operation (robust to other load). */
async function rate(run, milliseconds) {
  const start = performance.now()
  const cpu = process.cpuUsage()
  let count = 0
  while (performance.now() - start < milliseconds) {
    await run()
    count++
  }
  const used = process.cpuUsage(cpu)
  return {
    perSecond: (count * 1000) / (performance.now() - start),
    cpuMicros: (used.user + used.system) / count,
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

// Optional third and fourth arguments: rounds (default 15) and milliseconds per side per round (default 300).
const rounds = Number(process.argv[4] ?? 15)
const slice = Number(process.argv[5] ?? 300)
const sides = { before: cases(before), after: cases(after) }
const result = {}
for (const name of Object.keys(sides.before)) {
  for (const side of ['before', 'after']) for (let index = 0; index < 50; index++) await sides[side][name]()
  const samples = { before: [], after: [] }
  for (let round = 0; round < rounds; round++) {
    // Alternate which side goes first, so neither always gets the quieter half of a round.
    const order = round % 2 ? ['after', 'before'] : ['before', 'after']
    for (const side of order) samples[side].push(await rate(sides[side][name], slice))
  }
  const pick = (side, field) => samples[side].map((sample) => sample[field])
  const rateRatios = samples.before.map((sample, index) => samples.after[index].perSecond / sample.perSecond)
  const cpuRatios = samples.before.map((sample, index) => samples.after[index].cpuMicros / sample.cpuMicros)
  result[name] = {
    before_per_s: Math.round(median(pick('before', 'perSecond'))),
    after_per_s: Math.round(median(pick('after', 'perSecond'))),
    rate_after_over_before: Number(median(rateRatios).toFixed(3)),
    before_cpu_us: Math.round(median(pick('before', 'cpuMicros'))),
    after_cpu_us: Math.round(median(pick('after', 'cpuMicros'))),
    cpu_after_over_before: Number(median(cpuRatios).toFixed(3)),
  }
  console.log(name.padEnd(30), result[name])
}
console.log(JSON.stringify({ rounds, slice_ms: slice, node: process.version, ...result }))
