import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { embeddedSnapshotDate } from '@certus-trust/service/trust-root'
import {
  buildTufRepository,
  type ServedTufRepository,
  serveTufRepository,
  type TufRepository,
} from '@certus-trust/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certus, json, tempDir } from './helpers.js'

/*
 * `certus verify --tuf` and `certus trust-root refresh` against a real TUF repository on 127.0.0.1 whose
 * trusted_root.json names a log that nothing else trusts (a data directory's embedded log, verified from a
 * directory without it): the bundle verifies only when the root really came through TUF.
 */

interface VerifyJson {
  ok: boolean
  trust: Array<{ kind: string; origin?: string; mirror?: string }>
  warnings: string[]
  results: Array<{ ok: boolean; error?: { code: string } }>
}

const DAY_MS = 86_400_000

describe('certus verify --tuf and trust-root refresh (built bin, local TUF mirror)', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let p: (name: string) => string
  let repository: TufRepository
  let mirror: ServedTufRepository
  let downUrl: string
  let exportedLogUrl: string
  // No data directory in the working directory, none named: trust is public-good (embedded or TUF) alone.
  const env = (extra: Record<string, string> = {}) => ({
    CERTUS_TRUST_DATA_DIR: undefined,
    CERTUS_TRUST_TUF_MIRROR: undefined,
    CERTUS_TRUST_TUF_ROOT: undefined,
    CERTUS_TRUST_TUF_CACHE_DIR: p('cache-default'),
    CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: undefined,
    ...extra,
  })
  const verify = (args: string[], extra: Record<string, string> = {}) =>
    certus(['verify', p('a.txt'), '--key', p('k.pub'), ...args], { cwd: p('elsewhere'), env: env(extra) })

  beforeAll(async () => {
    dir = await tempDir()
    p = (name) => join(dir.path, name)
    await mkdir(p('elsewhere'))
    await writeFile(p('a.txt'), 'artifact a\n')
    const keygen = await certus(['keygen', '--private-key', p('k.pem'), '--public-key', p('k.pub')])
    expect(keygen.code, keygen.stderr).toBe(0)
    const sign = await certus(['sign', p('a.txt'), '--key', p('k.pem'), '--data-dir', p('data')])
    expect(sign.code, sign.stderr).toBe(0)
    // The data directory's embedded log, as `certus sign` exported it (what `trust-root export` writes).
    const trustedRoot = await readFile(join(p('data'), 'trusted_root.json'), 'utf8')
    await writeFile(p('root-in-tuf.json'), trustedRoot)
    exportedLogUrl = (JSON.parse(trustedRoot) as { tlogs: Array<{ baseUrl: string }> }).tlogs[0]!.baseUrl
    repository = buildTufRepository({ targets: { 'trusted_root.json': trustedRoot } })
    await writeFile(p('tuf-root.json'), repository.root)
    mirror = await serveTufRepository(repository)
    const closed = await serveTufRepository(repository)
    downUrl = closed.url
    await closed.close()
  }, 30_000)
  afterAll(async () => {
    await mirror?.close()
    await dir?.cleanup()
  })

  it('rejects the bundle with the embedded snapshot alone, warning about its age past the threshold', async () => {
    const age = Math.floor((Date.now() - embeddedSnapshotDate().getTime()) / DAY_MS)
    const old = await verify(['--json'], {
      CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: String(Math.max(age - 1, 0)),
    })
    expect(old.code).toBe(1)
    const report = json<VerifyJson>(old)
    expect(report.trust).toEqual([expect.objectContaining({ kind: 'public-good', origin: 'embedded' })])
    expect(report.warnings).toHaveLength(age >= 2 ? 1 : 0)
    if (age >= 2) {
      expect(report.warnings[0]).toContain(`snapshot is ${age} days old`)
      expect(old.stderr).toContain(`certus: warning: ${report.warnings[0]}`)
    }
    const young = await verify([], { CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: String(age + 1) })
    expect(young.code).toBe(1)
    expect(young.stderr).not.toContain('warning')
  })

  it('--tuf URL --tuf-root FILE verifies a bundle whose log is only in the TUF repository', async () => {
    const result = await verify(['--tuf', mirror.url, '--tuf-root', p('tuf-root.json')], {
      CERTUS_TRUST_TUF_CACHE_DIR: p('cache-a'),
    })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain(`refreshed through TUF from ${mirror.url}`)
    expect(result.stderr).not.toContain('warning')
    expect(mirror.requests.some((path) => path.endsWith('.trusted_root.json'))).toBe(true)
  })

  it('takes the mirror, initial root and cache from CERTUS_TRUST_TUF_*', async () => {
    const result = await verify(['--json'], {
      CERTUS_TRUST_TUF_MIRROR: mirror.url,
      CERTUS_TRUST_TUF_ROOT: p('tuf-root.json'),
      CERTUS_TRUST_TUF_CACHE_DIR: p('cache-env'),
    })
    expect(result.code, result.stderr).toBe(0)
    expect(json<VerifyJson>(result)).toMatchObject({ ok: true, warnings: [] })
    expect(json<VerifyJson>(result).trust).toEqual([
      { kind: 'public-good', origin: 'tuf', mirror: mirror.url, description: expect.any(String) },
    ])
  })

  it('trust-root refresh fetches into the cache and prints what it got', async () => {
    const result = await certus(
      ['trust-root', 'refresh', '--tuf', mirror.url, '--tuf-root', p('tuf-root.json'), '--json'],
      {
        env: env({ CERTUS_TRUST_TUF_CACHE_DIR: p('cache-refresh') }),
      },
    )
    expect(result.code, result.stderr).toBe(0)
    const report = json<{ ok: boolean; mirror: string; cacheDir: string; tlogs: Array<{ baseUrl: string }> }>(
      result,
    )
    expect(report).toMatchObject({ ok: true, mirror: mirror.url, cacheDir: p('cache-refresh') })
    expect(report.tlogs.map((log) => log.baseUrl)).toContain(exportedLogUrl)
    const text = await certus(['trust-root', 'refresh', '--tuf', mirror.url], {
      env: env({ CERTUS_TRUST_TUF_CACHE_DIR: p('cache-refresh') }),
    })
    // The cache now holds the mirror's root: no --tuf-root needed any more.
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain(`refreshed the trusted root from ${mirror.url}`)
    expect(text.stdout).toContain(`transparency log ${exportedLogUrl}`)
  })

  it('with the mirror down, uses the verified cache (warned), else the embedded snapshot (warned, with its age)', async () => {
    await mirror.close()
    const cached = await verify(['--tuf', mirror.url, '--tuf-root', p('tuf-root.json'), '--json'], {
      CERTUS_TRUST_TUF_CACHE_DIR: p('cache-a'),
    })
    expect(cached.code, cached.stderr).toBe(0)
    const fromCache = json<VerifyJson>(cached)
    expect(fromCache.trust[0]).toMatchObject({ origin: 'tuf-cache' })
    expect(fromCache.warnings).toHaveLength(1)
    expect(fromCache.warnings[0]).toContain(`cached in ${p('cache-a')}`)
    expect(cached.stderr).toContain(
      `certus: warning: TUF refresh of the trusted root from ${mirror.url} failed`,
    )

    const snapshot = embeddedSnapshotDate()
    const age = Math.floor((Date.now() - snapshot.getTime()) / DAY_MS)
    const fallback = await verify(['--tuf', downUrl, '--tuf-root', p('tuf-root.json'), '--json'], {
      CERTUS_TRUST_TUF_CACHE_DIR: p('cache-b'),
      CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: '0',
    })
    // The embedded snapshot does not know the log: rejected, and the output says why the root was old.
    expect(fallback.code).toBe(1)
    const embedded = json<VerifyJson>(fallback)
    expect(embedded.trust[0]).toMatchObject({ origin: 'embedded', mirror: downUrl })
    expect(embedded.warnings).toEqual([expect.stringContaining(`from ${downUrl} failed`)])
    expect(embedded.warnings[0]).toContain(
      `embedded public-good snapshot of ${snapshot.toISOString().slice(0, 10)}, ${age} days old`,
    )
    expect(fallback.stderr).toContain(`certus: warning: ${embedded.warnings[0]}`)
  })

  it('trust-root refresh fails (exit 4) when the mirror cannot be reached; --trusted-root excludes --tuf', async () => {
    const down = await certus(
      ['trust-root', 'refresh', '--tuf', downUrl, '--tuf-root', p('tuf-root.json'), '--json'],
      {
        env: env({ CERTUS_TRUST_TUF_CACHE_DIR: p('cache-down') }),
      },
    )
    expect(down.code).toBe(4)
    expect(json(down)).toMatchObject({ ok: false, error: { code: 'SERVICE_TRUST_ROOT_UNAVAILABLE' } })

    const both = await verify(['--trusted-root', p('root-in-tuf.json'), '--tuf'])
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('cannot be combined with --tuf')
  })
})
