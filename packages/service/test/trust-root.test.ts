import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildTufRepository, type ServedTufRepository, serveTufRepository } from '@certus-trust/test-utils'
import { PUBLIC_GOOD_TRUSTED_ROOT_JSON } from '@certus-trust/verifier'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ServiceError } from '../src/index.js'
import { embeddedSnapshotDate, loadPublicGoodTrustedRoot } from '../src/trust-root.js'

/*
 * A real TUF repository (signed metadata, test-utils' buildTufRepository) served on 127.0.0.1 and read by
 * @sigstore/tuf: its trusted_root.json names one extra log, so where the root came from is visible.
 */

const DAY_MS = 86_400_000
const tufTrustedRoot = (() => {
  const root = JSON.parse(PUBLIC_GOOD_TRUSTED_ROOT_JSON) as { tlogs: Array<Record<string, unknown>> }
  root.tlogs.push({ ...root.tlogs[0], baseUrl: 'https://rekor.only-in-tuf.example' })
  return root
})()
const embeddedRoot = JSON.parse(PUBLIC_GOOD_TRUSTED_ROOT_JSON) as Record<string, unknown>

let dir: string
let tufRoot: string
let mirror: ServedTufRepository
let downUrl: string
const repository = buildTufRepository({ targets: { 'trusted_root.json': JSON.stringify(tufTrustedRoot) } })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certus-trust-root-'))
  tufRoot = join(dir, 'root.json')
  await writeFile(tufRoot, repository.root)
  mirror = await serveTufRepository(repository)
  // A mirror that is down: a port that was just closed refuses connections.
  const closed = await serveTufRepository(repository)
  downUrl = closed.url
  await closed.close()
})
afterAll(async () => {
  await mirror?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('loadPublicGoodTrustedRoot through TUF', () => {
  it('refreshes trusted_root.json from the mirror through the signed metadata chain', async () => {
    const warned: string[] = []
    const cacheDir = join(dir, 'fresh')
    const loaded = await loadPublicGoodTrustedRoot({
      mirror: `${mirror.url}/`,
      tufRoot,
      cacheDir,
      warn: (message) => warned.push(message),
    })
    expect(loaded).toMatchObject({ source: 'tuf', mirror: mirror.url, cacheDir, warnings: [] })
    expect(loaded.trustedRoot).toEqual(tufTrustedRoot)
    expect(warned).toEqual([])
    expect(mirror.requests).toEqual(
      expect.arrayContaining(['/2.root.json', '/timestamp.json', '/1.snapshot.json', '/1.targets.json']),
    )
    expect(mirror.requests.some((path) => path.endsWith('.trusted_root.json'))).toBe(true)
  })

  it('uses the verified cached copy, with a warning, when the mirror is down', async () => {
    const cacheDir = join(dir, 'cached')
    // Fill the cache from the live mirror, then ask the same mirror URL once it is down.
    const live = await serveTufRepository(repository)
    await loadPublicGoodTrustedRoot({ mirror: live.url, tufRoot, cacheDir })
    await live.close()
    const warned: string[] = []
    const loaded = await loadPublicGoodTrustedRoot({
      mirror: live.url,
      tufRoot,
      cacheDir,
      warn: (message) => warned.push(message),
    })
    expect(loaded.source).toBe('tuf-cache')
    expect(loaded.trustedRoot).toEqual(tufTrustedRoot)
    expect(warned).toHaveLength(1)
    expect(warned[0]).toContain(`from ${live.url} failed`)
    expect(warned[0]).toContain(`cached in ${cacheDir}`)
    expect(loaded.warnings).toEqual(warned)
  })

  it('falls back to the embedded snapshot with a warning stating its age when nothing is cached', async () => {
    const snapshot = embeddedSnapshotDate()
    const now = new Date(snapshot.getTime() + 10 * DAY_MS + 5_000)
    const loaded = await loadPublicGoodTrustedRoot({
      mirror: downUrl,
      tufRoot,
      cacheDir: join(dir, 'empty'),
      now,
    })
    expect(loaded).toMatchObject({ source: 'embedded', mirror: downUrl, ageDays: 10, snapshotDate: snapshot })
    expect(loaded.trustedRoot).toEqual(embeddedRoot)
    // Within the threshold: the fallback warning alone, naming the snapshot's date and age.
    expect(loaded.warnings).toHaveLength(1)
    expect(loaded.warnings[0]).toContain(`from ${downUrl} failed`)
    expect(loaded.warnings[0]).toContain(
      `embedded public-good snapshot of ${snapshot.toISOString().slice(0, 10)}, 10 days old`,
    )
  })

  it('falls back when the served target does not match its signed hash (no unverified bytes are used)', async () => {
    const tampered = buildTufRepository({
      targets: { 'trusted_root.json': JSON.stringify(tufTrustedRoot) },
      served: {
        'trusted_root.json': JSON.stringify(embeddedRoot).replace('rekor.sigstore.dev', 'evil.example'),
      },
    })
    const served = await serveTufRepository(tampered)
    const rootPath = join(dir, 'tampered-root.json')
    await writeFile(rootPath, tampered.root)
    try {
      const loaded = await loadPublicGoodTrustedRoot({
        mirror: served.url,
        tufRoot: rootPath,
        cacheDir: join(dir, 'tampered'),
      })
      expect(loaded.source).toBe('embedded')
      expect(JSON.stringify(loaded.trustedRoot)).not.toContain('evil.example')
      expect(loaded.warnings[0]).toMatch(/failed \(.*\) and nothing valid is cached/)
    } finally {
      await served.close()
    }
  })

  it('throws SERVICE_TRUST_ROOT_UNAVAILABLE instead of falling back when asked to', async () => {
    const attempt = loadPublicGoodTrustedRoot({
      mirror: downUrl,
      tufRoot,
      cacheDir: join(dir, 'strict'),
      fallback: false,
    })
    await expect(attempt).rejects.toSatisfy(
      (error: unknown) =>
        ServiceError.is(error, 'SERVICE_TRUST_ROOT_UNAVAILABLE') &&
        error.message.includes(downUrl) &&
        error.details.mirror === downUrl,
    )
  })

  it('rejects an unreadable initial root and a negative threshold as configuration errors', async () => {
    await expect(
      loadPublicGoodTrustedRoot({ mirror: mirror.url, tufRoot: join(dir, 'missing.json') }),
    ).rejects.toSatisfy((error: unknown) => ServiceError.is(error, 'SERVICE_CONFIG_INVALID'))
    await expect(loadPublicGoodTrustedRoot({ maxAgeDays: -1 })).rejects.toSatisfy((error: unknown) =>
      ServiceError.is(error, 'SERVICE_CONFIG_INVALID'),
    )
  })
})

describe('the embedded snapshot and its age', () => {
  const snapshot = embeddedSnapshotDate()
  const at = (days: number) => new Date(snapshot.getTime() + days * DAY_MS + 60_000)

  it('dates a snapshot by the newest validity start of any log or authority it lists', () => {
    const root = {
      tlogs: [{ publicKey: { validFor: { start: '2024-01-01T00:00:00Z' } } }],
      ctlogs: [{ publicKey: { validFor: { start: '2024-03-01T00:00:00Z', end: '2030-01-01T00:00:00Z' } } }],
      certificateAuthorities: [{ validFor: { start: '2023-06-01T00:00:00Z' } }],
      timestampAuthorities: [{ validFor: { start: '2024-02-01T00:00:00Z' } }],
    }
    expect(embeddedSnapshotDate(JSON.stringify(root)).toISOString()).toBe('2024-03-01T00:00:00.000Z')
    // The embedded root's date is one of its own start dates, and none is later.
    expect(PUBLIC_GOOD_TRUSTED_ROOT_JSON).toContain(snapshot.toISOString().replace('.000Z', 'Z'))
    for (const [, start] of PUBLIC_GOOD_TRUSTED_ROOT_JSON.matchAll(/"start":"([^"]+)"/g))
      expect(Date.parse(start as string)).toBeLessThanOrEqual(snapshot.getTime())
  })

  it('warns when the snapshot is used past the threshold (default 90 days), never without a mirror otherwise', async () => {
    const within = await loadPublicGoodTrustedRoot({ now: at(90) })
    expect(within).toMatchObject({ source: 'embedded', ageDays: 90, warnings: [] })
    expect(within.trustedRoot).toEqual(embeddedRoot)

    const warned: string[] = []
    const past = await loadPublicGoodTrustedRoot({ now: at(91), warn: (message) => warned.push(message) })
    expect(past.ageDays).toBe(91)
    expect(warned).toEqual(past.warnings)
    expect(warned).toHaveLength(1)
    expect(warned[0]).toContain('snapshot is 91 days old')
    expect(warned[0]).toContain('warning after 90')
  })

  it('takes a configured threshold, and 0 turns the age warning off', async () => {
    expect((await loadPublicGoodTrustedRoot({ now: at(31), maxAgeDays: 30 })).warnings[0]).toContain(
      'snapshot is 31 days old',
    )
    expect((await loadPublicGoodTrustedRoot({ now: at(30), maxAgeDays: 30 })).warnings).toEqual([])
    expect((await loadPublicGoodTrustedRoot({ now: at(5000), maxAgeDays: 0 })).warnings).toEqual([])
  })

  it('warns twice on a fallback to a snapshot past the threshold: the failure and the age', async () => {
    const loaded = await loadPublicGoodTrustedRoot({
      mirror: downUrl,
      tufRoot,
      cacheDir: join(dir, 'old'),
      now: at(200),
    })
    expect(loaded.source).toBe('embedded')
    expect(loaded.warnings).toHaveLength(2)
    expect(loaded.warnings[0]).toContain('200 days old')
    expect(loaded.warnings[1]).toContain('snapshot is 200 days old')
  })
})
