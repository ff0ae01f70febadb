import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The conformance directory from SIGSTORE_CONFORMANCE_ASSETS, or undefined (tests then skip loudly). */
export const ASSETS = process.env.SIGSTORE_CONFORMANCE_ASSETS

export const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
export const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com'

export interface ConformanceCase {
  name: string
  dir: string
  bundlePath: string
  trustedRoot?: string
  key?: string
  identity: string
  issuer: string
  artifact: string
  expectFail: boolean
}

/** Loads a case the way the upstream suite does (test/client.py BundleMaterials.from_dir). */
export function loadCase(name: string): ConformanceCase {
  const dir = join(ASSETS!, name)
  const optional = (file: string) => (existsSync(join(dir, file)) ? join(dir, file) : undefined)
  const text = (file: string, fallback: string) => {
    const path = optional(file)
    return path ? readFileSync(path, 'utf8').trim() : fallback
  }
  return {
    name,
    dir,
    bundlePath: join(dir, 'bundle.sigstore.json'),
    trustedRoot: optional('trusted_root.json'),
    key: optional('key.pub'),
    identity: text('identity', DEFAULT_IDENTITY),
    issuer: text('issuer', DEFAULT_ISSUER),
    artifact: optional('artifact') ?? join(ASSETS!, 'a.txt'),
    expectFail: name.endsWith('fail'),
  }
}

export function caseNames(): string[] {
  return readdirSync(ASSETS!, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
}

export function warnSkipped(suite: string): void {
  if (!ASSETS) {
    console.warn(
      `\n*** ${suite}: SIGSTORE_CONFORMANCE_ASSETS is not set — these conformance tests DID NOT RUN ***\n`,
    )
  }
}
