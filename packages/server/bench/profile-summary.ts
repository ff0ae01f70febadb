/**
 * Summarises a `.cpuprofile` (from `node --cpu-prof`): self time by function and by package, largest first.
 *
 *   tsx bench/profile-summary.ts PROFILE.cpuprofile [rows]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}
const rows = Number(process.argv[3] ?? 25)
process.stdout.on('error', () => process.exit(0))
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfByNode = new Map<number, number>()
profile.samples.forEach((id, index) => {
  selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0))
})
const total = [...selfByNode.values()].reduce((sum, value) => sum + value, 0)
const byFunction = new Map<string, number>()
const byPackage = new Map<string, number>()
for (const [id, time] of selfByNode) {
  const frame = byId.get(id)!.callFrame
  const where = frame.url.replace(/^file:\/\//, '')
  const pkg =
    where.match(/node_modules\/(?:\.pnpm\/)?((?:@[^/+]+[/+])?[^/@+]+)/)?.[1]?.replace('+', '/') ??
    where.match(/packages\/([^/]+)\//)?.[1] ??
    (where.startsWith('node:')
      ? 'node-internal'
      : where === ''
        ? `(${frame.functionName || 'native'})`
        : where)
  const name = `${frame.functionName || '(anonymous)'} ${pkg}${frame.lineNumber >= 0 ? `:${frame.lineNumber + 1}` : ''}`
  byFunction.set(name, (byFunction.get(name) ?? 0) + time)
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + time)
}
const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`)
  for (const [name, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows))
    process.stdout.write(`${((100 * time) / total).toFixed(1).padStart(5)}%  ${name}\n`)
}
print('self time by package', byPackage)
print('self time by function', byFunction)
