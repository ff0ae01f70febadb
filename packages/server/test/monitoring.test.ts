import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ADMIN_KEY, call, digestOf, SIGNER_KEY, startTestServer, VERIFIER_KEY } from './helpers.js'

// docs/monitoring: the Grafana dashboard and the Prometheus alert rules must name metrics the server exports.
const MONITORING = resolve(__dirname, '../../../docs/monitoring')
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/

let started: Awaited<ReturnType<typeof startTestServer>>
let scrape: string

beforeAll(async () => {
  started = await startTestServer('sqlite')
  const base = started.server.url
  const artifact = digestOf('monitoring')
  const signed = await call(base, 'POST', '/v1/sign', SIGNER_KEY, {
    artifact,
    artifact_type: 'file',
    subject: 'm',
  })
  expect(signed.status).toBe(201)
  await call(base, 'POST', '/v1/verify', VERIFIER_KEY, { artifact, bundle: signed.json.bundle })
  await call(base, 'GET', `/v1/transparency/${signed.json.entry_id}`, VERIFIER_KEY)
  const metrics = await call(base, 'GET', '/metrics', ADMIN_KEY)
  expect(metrics.status).toBe(200)
  scrape = metrics.json as string
}, 60_000)
afterAll(async () => {
  await started?.cleanup()
})

/** Metric names the scrape declares (`# HELP name …`). */
function declared(): Set<string> {
  return new Set([...scrape.matchAll(/^# HELP (\S+) /gm)].map((match) => match[1]!))
}

/** The one sample of `name` with `labels` (a substring of its label set), as a number. */
function sample(name: string, labels = ''): number | undefined {
  const line = scrape
    .split('\n')
    .find((row) => (row.startsWith(`${name}{`) || row.startsWith(`${name} `) ? row.includes(labels) : false))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

function referencedMetrics(text: string): string[] {
  return [...new Set([...text.matchAll(/\bcertus_trust_[a-z0-9_]+/g)].map((match) => match[0]))]
}

describe('docs/monitoring', () => {
  it('every metric the dashboard and the alert rules use is one the server exports', () => {
    const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana-dashboard.json'), 'utf8'))
    const rules = parse(readFileSync(join(MONITORING, 'alerts.yaml'), 'utf8'))
    const expressions = [
      ...dashboard.panels.flatMap((panel: { targets: Array<{ expr: string }> }) =>
        panel.targets.map((target) => target.expr),
      ),
      ...rules.groups.flatMap((group: { rules: Array<{ expr: string }> }) =>
        group.rules.map((rule) => rule.expr),
      ),
    ].join('\n')
    const names = referencedMetrics(expressions)
    expect(names.length).toBeGreaterThan(10)
    const exported = declared()
    const missing = names.filter(
      (name) => !exported.has(name) && !exported.has(name.replace(HISTOGRAM_SUFFIX, '')),
    )
    expect(missing).toEqual([])
  })

  it('the operations metrics carry data: database latency by operation, storage growth, log calls', () => {
    expect(
      sample('certus_trust_storage_operation_duration_seconds_count', 'operation="saveSignedArtifact"'),
    ).toBe(1)
    expect(
      sample('certus_trust_storage_operation_duration_seconds_count', 'backend="sqlite"'),
    ).toBeGreaterThan(0)
    expect(sample('certus_trust_log_entries')).toBe(1)
    expect(sample('certus_trust_storage_size_bytes')).toBeGreaterThan(4096)
    expect(
      sample('certus_trust_log_request_duration_seconds_count', 'operation="get_entry"'),
    ).toBeGreaterThan(0)
    // No doubled prefix on the process metrics.
    expect(scrape).not.toContain('certus_trust_process_process_')
  })
})
