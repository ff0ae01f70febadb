import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_VARIABLES, isLoopbackHost, loadConfig, unknownVariableWarnings } from './config.js'
import { ServerError } from './errors.js'
import { hashApiKey } from './middleware/auth.js'

const cwd = '/srv/app'

function configError(env: Record<string, string>): ServerError {
  try {
    loadConfig(env, { cwd })
  } catch (error) {
    if (ServerError.is(error, 'SERVER_CONFIG_INVALID')) return error
    throw error
  }
  throw new Error('expected loadConfig to throw')
}

describe('loadConfig', () => {
  it('gives a durable loopback server with no configuration', () => {
    const config = loadConfig({}, { cwd })
    expect(config.host).toBe('127.0.0.1')
    expect(config.port).toBe(8080)
    expect(config.dataDir).toBe('/srv/app/.certus')
    expect(config.storage).toEqual({ kind: 'sqlite', path: '/srv/app/.certus/certus.db' })
    expect(config.transparency).toEqual({ mode: 'embedded' })
    expect(config.signingKeyPath).toBe('/srv/app/.certus/signing-key.pem')
    expect(config.logKeyPath).toBe('/srv/app/.certus/log-key.pem')
    expect(config.logBaseUrl).toBeUndefined()
    expect(config.auth.anonymousRoles).toEqual(['signer', 'verifier', 'admin'])
    expect(config.auth.anonymousLoopbackOnly).toBe(true)
    expect(config.corsOrigins).toEqual([])
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.auth)).toBe(true)
  })

  it('keeps using a legacy PGlite data directory; an existing directory named in STORAGE is PGlite', () => {
    const root = mkdtempSync(join(tmpdir(), 'certus-config-'))
    try {
      mkdirSync(join(root, '.certus', 'log-db'), { recursive: true })
      expect(loadConfig({}, { cwd: root }).storage).toEqual({
        kind: 'pglite',
        dataDir: join(root, '.certus', 'log-db'),
      })
      expect(loadConfig({ CERTUS_TRUST_STORAGE: '.certus/log-db' }, { cwd: root }).storage).toEqual({
        kind: 'pglite',
        dataDir: join(root, '.certus', 'log-db'),
      })
      // Once a SQLite database exists next to it, SQLite wins.
      writeFileSync(join(root, '.certus', 'certus.db'), '')
      expect(loadConfig({}, { cwd: root }).storage).toEqual({
        kind: 'sqlite',
        path: join(root, '.certus', 'certus.db'),
      })
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('reads every storage form', () => {
    expect(loadConfig({ CERTUS_TRUST_STORAGE: 'memory' }, { cwd }).storage).toEqual({ kind: 'memory' })
    expect(loadConfig({ CERTUS_TRUST_STORAGE: 'data/trust.db' }, { cwd }).storage).toEqual({
      kind: 'sqlite',
      path: '/srv/app/data/trust.db',
    })
    expect(loadConfig({ CERTUS_TRUST_STORAGE: 'data/db' }, { cwd }).storage).toEqual({
      kind: 'pglite',
      dataDir: '/srv/app/data/db',
    })
    expect(loadConfig({ CERTUS_TRUST_STORAGE: 'sqlite' }, { cwd }).storage).toEqual({
      kind: 'sqlite',
      path: '/srv/app/.certus/certus.db',
    })
    expect(loadConfig({ CERTUS_TRUST_STORAGE: 'pglite' }, { cwd }).storage).toEqual({
      kind: 'pglite',
      dataDir: '/srv/app/.certus/log-db',
    })
    expect(loadConfig({ CERTUS_TRUST_STORAGE: 'postgres://u@db:5432/trust' }, { cwd }).storage).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u@db:5432/trust',
    })
    expect(loadConfig({ CERTUS_TRUST_DATABASE_URL: 'postgresql://db/trust' }, { cwd }).storage).toEqual({
      kind: 'postgres',
      connectionString: 'postgresql://db/trust',
    })
    expect(
      loadConfig({ CERTUS_TRUST_STORAGE: 'postgres', CERTUS_TRUST_DATABASE_URL: 'postgres://db/x' }, { cwd })
        .storage,
    ).toEqual({ kind: 'postgres', connectionString: 'postgres://db/x' })
  })

  it('selects remote Rekor or no transparency', () => {
    expect(loadConfig({ CERTUS_TRUST_REKOR_ADDR: 'https://rekor.example/' }, { cwd }).transparency).toEqual({
      mode: 'remote',
      rekorUrl: 'https://rekor.example',
    })
    expect(loadConfig({ CERTUS_TRUST_ENABLE_TRANSPARENCY: 'false' }, { cwd }).transparency).toEqual({
      mode: 'off',
    })
  })

  it('parses hashed API keys and drops anonymous access when credentials exist', () => {
    const hash = hashApiKey('s3cret-key-value')
    const config = loadConfig(
      {
        CERTUS_TRUST_API_KEYS: `ci:signer+verifier:${hash}, ops:admin:${hash.toUpperCase().replace('SHA256', 'sha256')}`,
      },
      { cwd },
    )
    expect(config.auth.apiKeys).toEqual([
      { id: 'ci', roles: ['signer', 'verifier'], sha256: hash.slice(7) },
      { id: 'ops', roles: ['admin'], sha256: hash.slice(7) },
    ])
    expect(config.auth.anonymousRoles).toEqual([])
  })

  it('names every bad variable in one error and never echoes values', () => {
    const error = configError({
      CERTUS_TRUST_PORT: 'eighty',
      CERTUS_TRUST_REKOR_ADDR: 'ftp://rekor',
      CERTUS_TRUST_API_KEYS: 'raw-secret-key-pasted-by-mistake',
      CERTUS_TRUST_LOG_LEVEL: 'loud',
      CERTUS_TRUST_ENABLE_KEYLESS: 'maybe',
    })
    expect(error.details.variables).toEqual(
      expect.arrayContaining([
        'CERTUS_TRUST_PORT',
        'CERTUS_TRUST_REKOR_ADDR',
        'CERTUS_TRUST_API_KEYS',
        'CERTUS_TRUST_LOG_LEVEL',
        'CERTUS_TRUST_ENABLE_KEYLESS',
      ]),
    )
    expect(error.message).not.toContain('raw-secret-key-pasted-by-mistake')
  })

  it('requires TLS to Rekor, Fulcio, a TSA and a JWKS, except on loopback', () => {
    for (const name of [
      'CERTUS_TRUST_REKOR_ADDR',
      'CERTUS_TRUST_FULCIO_ADDR',
      'CERTUS_TRUST_TSA_URL',
      'CERTUS_TRUST_JWT_JWKS_URL',
    ]) {
      for (const plain of ['http://rekor.internal:3000', 'http://10.0.0.5/', 'http://127.example.com/']) {
        const error = configError({ [name]: plain })
        expect(error.details.variables, `${name}=${plain}`).toContain(name)
        expect(error.message).toContain('https://')
      }
      for (const fine of [
        'https://rekor.internal',
        'http://127.0.0.1:3000',
        'http://localhost:8080',
        'http://[::1]:9',
      ]) {
        expect(() => loadConfig({ [name]: fine }, { cwd }), `${name}=${fine}`).not.toThrow()
      }
    }
  })

  it('checks cross-variable rules', () => {
    expect(configError({ CERTUS_TRUST_HOST: '0.0.0.0' }).details.variables).toEqual(['CERTUS_TRUST_HOST'])
    expect(configError({ CERTUS_TRUST_ENABLE_KEYLESS: 'true' }).details.variables).toEqual([
      'CERTUS_TRUST_FULCIO_ADDR',
      'CERTUS_TRUST_OIDC_TOKEN',
    ])
    expect(configError({ CERTUS_TRUST_TLS_CERT: 'cert.pem' }).details.variables).toEqual([
      'CERTUS_TRUST_TLS_CERT',
    ])
    expect(configError({ CERTUS_TRUST_STORAGE: 'postgres' }).details.variables).toEqual([
      'CERTUS_TRUST_DATABASE_URL',
    ])
    expect(configError({ CERTUS_TRUST_STORAGE: 'mysql://db' }).details.variables).toEqual([
      'CERTUS_TRUST_STORAGE',
    ])
    expect(configError({ CERTUS_TRUST_JWT_SECRET: 'short' }).details.variables).toEqual([
      'CERTUS_TRUST_JWT_SECRET',
    ])
  })

  it('binds a public address when credentials or explicit anonymous access are configured', () => {
    const key = `ci:signer:${hashApiKey('k')}`
    expect(loadConfig({ CERTUS_TRUST_HOST: '0.0.0.0', CERTUS_TRUST_API_KEYS: key }, { cwd }).host).toBe(
      '0.0.0.0',
    )
    const open = loadConfig(
      {
        CERTUS_TRUST_HOST: '0.0.0.0',
        CERTUS_TRUST_ANONYMOUS_NETWORK: 'any',
        CERTUS_TRUST_ANONYMOUS_ROLES: 'verifier',
      },
      { cwd },
    )
    expect(open.auth.anonymousRoles).toEqual(['verifier'])
    expect(open.auth.anonymousLoopbackOnly).toBe(false)
  })

  it('lists its variables and recognises loopback hosts', () => {
    expect(CONFIG_VARIABLES).toContain('CERTUS_TRUST_REKOR_ADDR')
    expect(CONFIG_VARIABLES.every((name) => name.startsWith('CERTUS_TRUST_'))).toBe(true)
    expect(['127.0.0.1', '127.8.9.1', '::1', '[::1]', 'localhost'].every(isLoopbackHost)).toBe(true)
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].some(isLoopbackHost)).toBe(false)
  })
})

describe('configuration that cannot silently mislead', () => {
  it('refuses CERTUS_TRUST_MOCK_SIGSTORE=true, explaining embedded mode and the rollback', () => {
    const error = configError({ CERTUS_TRUST_MOCK_SIGSTORE: 'TRUE' })
    expect(error.details).toEqual({ variables: ['CERTUS_TRUST_MOCK_SIGSTORE'] })
    expect(error.message).toContain('there is no mock mode')
    expect(error.message).toContain('embedded mode: real signatures')
    expect(error.message).toContain('COMPOSE_PROFILES=embedded')
    // `false` asks for what we always do: accepted without a warning.
    const config = loadConfig({ CERTUS_TRUST_MOCK_SIGSTORE: 'false' }, { cwd })
    expect(config.warnings).toEqual([])
  })

  it('warns about unknown CERTUS_TRUST_* variables, naming the closest known one', () => {
    const config = loadConfig(
      {
        CERTUS_TRUST_REKOR_ADR: 'https://rekor.example',
        CERTUS_TRUST_PUBLIC_URL: 'https://certus.example',
        CERTUS_TRUST_KEY_PASSPHRASE: 'read by the certus command',
        CERTUS_TRUST_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ: '1',
        OTHER_VARIABLE: 'not ours',
      },
      { cwd },
    )
    expect(config.warnings).toEqual([
      'CERTUS_TRUST_PUBLIC_URL is not a Certus Trust variable and is ignored; did you mean CERTUS_TRUST_LOG_BASE_URL?',
      'CERTUS_TRUST_REKOR_ADR is not a Certus Trust variable and is ignored; did you mean CERTUS_TRUST_REKOR_ADDR?',
      'CERTUS_TRUST_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ is not a Certus Trust variable and is ignored',
    ])
    // The misspelt variable really is ignored: the embedded log stays on.
    expect(config.transparency).toEqual({ mode: 'embedded' })
    expect(unknownVariableWarnings(Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, ''])))).toEqual(
      [],
    )
  })

  it('reads LOG_LEVEL case-insensitively, with the Python names the guide uses', () => {
    expect(loadConfig({ CERTUS_TRUST_LOG_LEVEL: 'INFO' }, { cwd }).logLevel).toBe('info')
    expect(loadConfig({ CERTUS_TRUST_LOG_LEVEL: 'Warning' }, { cwd }).logLevel).toBe('warn')
    expect(loadConfig({ CERTUS_TRUST_LOG_LEVEL: 'CRITICAL' }, { cwd }).logLevel).toBe('fatal')
    expect(configError({ CERTUS_TRUST_LOG_LEVEL: 'loud' }).details).toEqual({
      variables: ['CERTUS_TRUST_LOG_LEVEL'],
    })
    expect(loadConfig({ CERTUS_TRUST_PUBLIC_READS: 'TRUE' }, { cwd }).auth.publicReads).toBe(true)
  })

  it('signs on worker threads by default on more than one core, configurably', () => {
    expect(loadConfig({}, { cwd }).signingThreads).toBe(
      availableParallelism() < 2 ? 0 : Math.min(4, availableParallelism()),
    )
    expect(loadConfig({ CERTUS_TRUST_SIGNING_THREADS: '0' }, { cwd }).signingThreads).toBe(0)
    expect(loadConfig({ CERTUS_TRUST_SIGNING_THREADS: '3' }, { cwd }).signingThreads).toBe(3)
    expect(configError({ CERTUS_TRUST_SIGNING_THREADS: 'many' }).message).toContain(
      'CERTUS_TRUST_SIGNING_THREADS',
    )
    expect(configError({ CERTUS_TRUST_SIGNING_THREADS: '65' }).message).toContain(
      'CERTUS_TRUST_SIGNING_THREADS',
    )
  })

  it('verifies on worker threads by default on more than one core, configurably', () => {
    expect(loadConfig({}, { cwd }).verifyThreads).toBe(
      availableParallelism() < 2 ? 0 : Math.min(4, availableParallelism()),
    )
    expect(loadConfig({ CERTUS_TRUST_VERIFY_THREADS: '0' }, { cwd }).verifyThreads).toBe(0)
    expect(loadConfig({ CERTUS_TRUST_VERIFY_THREADS: '2' }, { cwd }).verifyThreads).toBe(2)
    expect(configError({ CERTUS_TRUST_VERIFY_THREADS: 'x' }).message).toContain('CERTUS_TRUST_VERIFY_THREADS')
  })

  it('bounds database waits, configurably', () => {
    const defaults = loadConfig({}, { cwd })
    expect(defaults.databaseStatementTimeoutMs).toBe(15_000)
    expect(defaults.databaseConnectTimeoutMs).toBe(5_000)
    const tuned = loadConfig(
      {
        CERTUS_TRUST_DATABASE_STATEMENT_TIMEOUT_MS: '2500',
        CERTUS_TRUST_DATABASE_CONNECT_TIMEOUT_MS: '1000',
      },
      { cwd },
    )
    expect(tuned.databaseStatementTimeoutMs).toBe(2500)
    expect(tuned.databaseConnectTimeoutMs).toBe(1000)
    expect(configError({ CERTUS_TRUST_DATABASE_STATEMENT_TIMEOUT_MS: '0' }).details).toEqual({
      variables: ['CERTUS_TRUST_DATABASE_STATEMENT_TIMEOUT_MS'],
    })
  })

  it('refreshes the public-good root through TUF when a mirror is set, caching in the data directory', () => {
    const defaults = loadConfig({}, { cwd })
    expect(defaults.tuf).toBeUndefined()
    expect(defaults.trustRootMaxAgeDays).toBeUndefined()
    const tuf = loadConfig(
      {
        CERTUS_TRUST_TUF_MIRROR: 'https://tuf.example.com/',
        CERTUS_TRUST_TUF_ROOT: 'tuf/root.json',
        CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: '30',
      },
      { cwd },
    )
    expect(tuf.tuf).toEqual({
      mirror: 'https://tuf.example.com',
      rootPath: '/srv/app/tuf/root.json',
      cacheDir: '/srv/app/.certus/tuf-cache',
    })
    expect(tuf.trustRootMaxAgeDays).toBe(30)
    const cached = loadConfig(
      { CERTUS_TRUST_TUF_MIRROR: 'http://127.0.0.1:9000', CERTUS_TRUST_TUF_CACHE_DIR: '/var/cache/tuf' },
      { cwd },
    )
    expect(cached.tuf).toMatchObject({ mirror: 'http://127.0.0.1:9000', cacheDir: '/var/cache/tuf' })
    expect(configError({ CERTUS_TRUST_TUF_MIRROR: 'ftp://x' }).details.variables).toEqual([
      'CERTUS_TRUST_TUF_MIRROR',
    ])
    expect(
      configError({ CERTUS_TRUST_TUF_MIRROR: 'https://tuf.example.com', CERTUS_TRUST_TRUSTED_ROOT: 'r.json' })
        .details.variables,
    ).toEqual(['CERTUS_TRUST_TUF_MIRROR'])
    expect(configError({ CERTUS_TRUST_TUF_ROOT: 'root.json' }).details.variables).toEqual([
      'CERTUS_TRUST_TUF_ROOT',
    ])
    expect(configError({ CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: '-1' }).details.variables).toEqual([
      'CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS',
    ])
  })
})
