import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadSigningConfig, parseSigningConfig, SIGNING_CONFIG_MEDIA_TYPE, selectServices } from './config.js'

const service = (url: string, majorApiVersion: number, extra: Record<string, unknown> = {}) => ({
  url,
  majorApiVersion,
  validFor: { start: '2024-01-01T00:00:00Z' },
  ...extra,
})

// The shape of public-good's signing_config.v0.2.json (TUF target), with a Rekor v2 shard added.
const config = {
  mediaType: SIGNING_CONFIG_MEDIA_TYPE,
  caUrls: [service('https://fulcio.sigstore.dev', 1, { operator: 'sigstore.dev' })],
  oidcUrls: [service('https://oauth2.sigstore.dev/auth', 1, { operator: 'sigstore.dev' })],
  rekorTlogUrls: [
    service('https://log2025-1.rekor.sigstore.dev', 2, { operator: 'sigstore.dev' }),
    service('https://log2026-1.rekor.sigstore.dev', 2, {
      operator: 'other.dev',
      validFor: { start: '2026-06-01T00:00:00Z' },
    }),
    service('https://rekor.sigstore.dev', 1, { operator: 'sigstore.dev' }),
    service('https://rekor.other.dev', 2, { operator: 'other.dev' }),
    service('https://rekor3.sigstore.dev', 3, { operator: 'sigstore.dev' }),
  ],
  tsaUrls: [
    service('https://timestamp.sigstore.dev/api/v1/timestamp', 1, { operator: 'sigstore.dev' }),
    service('https://tsa.other.dev/api/v1/timestamp', 1, { operator: 'other.dev' }),
    service('https://tsa2.sigstore.dev/api/v1/timestamp', 1, { operator: 'sigstore.dev' }),
  ],
  rekorTlogConfig: { selector: 'ANY' },
  tsaConfig: { selector: 'EXACT', count: 2 },
}
const now = new Date('2026-01-01T00:00:00Z')
const urls = (services: Array<{ url: string }>) => services.map((item) => item.url)

describe('SigningConfig v0.2', () => {
  it('parses the public-good shape and rejects wrong media types, URLs and selectors with a field name', () => {
    const parsed = parseSigningConfig(JSON.stringify(config))
    expect(parsed.rekorTlogUrls[0]!.validFor.start).toEqual(new Date('2024-01-01T00:00:00Z'))
    expect(parseSigningConfig(parsed)).toEqual(parsed) // idempotent on a parsed value
    expect(() => parseSigningConfig({ ...config, mediaType: 'application/json' })).toThrow(/at mediaType/)
    expect(() => parseSigningConfig({ ...config, tsaUrls: [service('ftp://x', 1)] })).toThrow(
      /at tsaUrls.0.url/,
    )
    expect(() => parseSigningConfig({ ...config, tsaConfig: { selector: 'EXACT' } })).toThrow(
      /EXACT needs a positive count/,
    )
    expect(() => parseSigningConfig('{')).toThrow(expect.objectContaining({ code: 'SIGNER_INVALID_INPUT' }))
  })

  it('selects the highest supported valid version, one per operator, then applies ANY / EXACT / ALL', () => {
    const parsed = parseSigningConfig(config)
    const selected = selectServices(parsed, { now })
    // v3 is unsupported, log2026 is not valid yet: the first valid v2 log wins for ANY.
    expect(urls(selected.rekor)).toEqual(['https://log2025-1.rekor.sigstore.dev'])
    // EXACT 2: two TSAs of different operators (tsa2 shares sigstore.dev's fate and is skipped).
    expect(urls(selected.tsa)).toEqual([
      'https://timestamp.sigstore.dev/api/v1/timestamp',
      'https://tsa.other.dev/api/v1/timestamp',
    ])
    expect(selected.ca?.url).toBe('https://fulcio.sigstore.dev')
    const all = selectServices({ ...parsed, rekorTlogConfig: { selector: 'ALL' } }, { now })
    expect(urls(all.rekor)).toEqual(['https://log2025-1.rekor.sigstore.dev', 'https://rekor.other.dev'])
    const later = selectServices(
      { ...parsed, rekorTlogConfig: { selector: 'ALL' } },
      { now: new Date('2026-07-01T00:00:00Z') },
    )
    // Newest validity start first: log2026-1 is valid now and becomes other.dev's one service.
    expect(urls(later.rekor)).toEqual([
      'https://log2026-1.rekor.sigstore.dev',
      'https://log2025-1.rekor.sigstore.dev',
    ])
    expect(urls(selectServices(parsed, { now, rekorVersions: [1] }).rekor)).toEqual([
      'https://rekor.sigstore.dev',
    ])
  })

  it('fails an EXACT selector that cannot be met, and honours end dates', () => {
    const parsed = parseSigningConfig({ ...config, tsaConfig: { selector: 'EXACT', count: 3 } })
    expect(() => selectServices(parsed, { now })).toThrow(
      /asks for 3 timestamp authority services but only 2/,
    )
    const ended = parseSigningConfig({
      ...config,
      rekorTlogUrls: [
        service('https://old.example', 1, {
          validFor: { start: '2020-01-01T00:00:00Z', end: '2025-01-01T00:00:00Z' },
        }),
      ],
    })
    expect(selectServices(ended, { now }).rekor).toEqual([])
  })

  it('loads from a file and reports an unreadable one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signing-config-'))
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
    expect((await loadSigningConfig({ path: join(dir, 'config.json') })).tsaUrls).toHaveLength(3)
    await expect(loadSigningConfig({ path: join(dir, 'missing.json') })).rejects.toMatchObject({
      code: 'SIGNER_INVALID_INPUT',
    })
  })

  it('reports an unreachable TUF repository as SIGNER_WITNESS_UNREACHABLE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signing-config-tuf-'))
    writeFileSync(join(dir, 'root.json'), '{}')
    await expect(
      loadSigningConfig({
        tuf: { mirrorURL: 'http://127.0.0.1:1', rootPath: join(dir, 'root.json'), cachePath: dir },
      }),
    ).rejects.toMatchObject({ code: 'SIGNER_WITNESS_UNREACHABLE' })
  })
})
