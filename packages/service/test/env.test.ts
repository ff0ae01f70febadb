import { describe, expect, it } from 'vitest'
import { readTrustRootEnv, unknownVariableWarnings } from '../src/env.js'
import { readServiceEnv, SERVICE_ENV_VARIABLES } from '../src/service-env.js'

describe('readServiceEnv', () => {
  it('defaults to the data directory, SQLite, the embedded log and local keys', () => {
    const result = readServiceEnv({}, { cwd: '/srv' })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.value).toMatchObject({
      dataDir: '/srv/.certus',
      storage: { kind: 'sqlite', path: '/srv/.certus/certus.db' },
      signingKeyPath: '/srv/.certus/signing-key.pem',
      transparency: { mode: 'embedded' },
      keyless: { enabled: false },
      databasePoolSize: 10,
    })
    expect(result.value.tuf).toBeUndefined()
  })

  it('names every bad variable at once, never its value', () => {
    const result = readServiceEnv(
      { CERTUS_TRUST_REKOR_ADDR: 'http://rekor.example', CERTUS_TRUST_DATABASE_POOL_SIZE: 'secret-ish' },
      { cwd: '/srv' },
    )
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'CERTUS_TRUST_DATABASE_POOL_SIZE',
      'CERTUS_TRUST_REKOR_ADDR',
    ])
    expect(result.problems.join('\n')).not.toContain('secret-ish')
  })

  it('ties the TUF variables together and puts the cache in the data directory', () => {
    const alone = readServiceEnv({ CERTUS_TRUST_TUF_ROOT: 'root.json' }, { cwd: '/srv' })
    expect(alone).toEqual({
      ok: false,
      problems: ['CERTUS_TRUST_TUF_ROOT: only with CERTUS_TRUST_TUF_MIRROR'],
    })
    const tuf = readServiceEnv(
      { CERTUS_TRUST_TUF_MIRROR: 'https://tuf.example/', CERTUS_TRUST_TUF_ROOT: 'root.json' },
      { cwd: '/srv' },
    )
    expect(tuf.ok && tuf.value.tuf).toEqual({
      mirror: 'https://tuf.example',
      rootPath: '/srv/root.json',
      cacheDir: '/srv/.certus/tuf-cache',
    })
  })

  it('lists the variables it reads', () => {
    expect(SERVICE_ENV_VARIABLES).toContain('CERTUS_TRUST_STORAGE')
    expect(SERVICE_ENV_VARIABLES).toContain('CERTUS_TRUST_TUF_MIRROR')
    expect(SERVICE_ENV_VARIABLES).not.toContain('CERTUS_TRUST_PORT')
  })
})

describe('readTrustRootEnv', () => {
  it('reads the trust-root variables as the CLI takes them (no rule tying them)', () => {
    const result = readTrustRootEnv(
      { CERTUS_TRUST_TUF_ROOT: 'root.json', CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: ' 30 ' },
      { cwd: '/work' },
    )
    expect(result).toEqual({
      ok: true,
      value: {
        trustedRootPath: undefined,
        mirror: undefined,
        tufRootPath: '/work/root.json',
        cacheDir: undefined,
        maxAgeDays: 30,
      },
    })
  })

  it('refuses a mirror that is not an http(s) URL and a negative age', () => {
    const result = readTrustRootEnv(
      { CERTUS_TRUST_TUF_MIRROR: 'ftp://x', CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: '-1' },
      { cwd: '/work' },
    )
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.problems).toHaveLength(2)
  })
})

describe('unknownVariableWarnings', () => {
  it('names the variable meant: a known rename, else the closest name', () => {
    const warnings = unknownVariableWarnings(
      {
        CERTUS_TRUST_PUBLIC_URL: 'x',
        CERTUS_TRUST_STORGE: 'memory',
        CERTUS_TRUST_STORAGE: 'memory',
        HOME: '/',
      },
      SERVICE_ENV_VARIABLES,
    )
    expect(warnings).toEqual([
      'CERTUS_TRUST_PUBLIC_URL is not a Certus Trust variable and is ignored; did you mean CERTUS_TRUST_LOG_BASE_URL?',
      'CERTUS_TRUST_STORGE is not a Certus Trust variable and is ignored; did you mean CERTUS_TRUST_STORAGE?',
    ])
  })
})
