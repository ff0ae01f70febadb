import { createPublicKey, type KeyObject } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '../../..')

/** The conformance assets directory, or undefined (callers must skip loudly). */
export const conformanceAssets: string | undefined = process.env.SIGSTORE_CONFORMANCE_ASSETS
  ? resolve(process.env.SIGSTORE_CONFORMANCE_ASSETS)
  : undefined

/** Warns that a suite did not run (used with describe.skipIf). */
export function warnSkipped(suite: string): void {
  console.warn(
    `[rekor tests] SKIPPED "${suite}": set SIGSTORE_CONFORMANCE_ASSETS to the bundle-verify directory to run it`,
  )
}

interface TrustedRootJson {
  tlogs: Array<{
    baseUrl: string
    publicKey: { rawBytes: string; keyDetails: string }
    logId: { keyId: string }
  }>
}

/** The production Sigstore trusted root shipped in @sigstore/tuf's seeds.json. */
export function productionTrustedRoot(): TrustedRootJson {
  const pnpmDir = join(repoRoot, 'node_modules/.pnpm')
  const tufDir = readdirSync(pnpmDir).find((name) => name.startsWith('@sigstore+tuf@'))
  if (!tufDir) throw new Error('@sigstore/tuf is not installed: cannot load the production trusted root')
  const seeds = JSON.parse(
    readFileSync(join(pnpmDir, tufDir, 'node_modules/@sigstore/tuf/seeds.json'), 'utf8'),
  ) as Record<string, { targets: Record<string, string> }>
  const encoded = seeds['https://tuf-repo-cdn.sigstore.dev']!.targets['trusted_root.json']!
  return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as TrustedRootJson
}

/** The public-good Rekor v1 key (rekor.sigstore.dev) from the production trusted root. */
export function publicGoodRekorKey(): KeyObject {
  const tlog = productionTrustedRoot().tlogs.find((entry) => entry.baseUrl === 'https://rekor.sigstore.dev')
  if (!tlog) throw new Error('production trusted root has no rekor.sigstore.dev tlog')
  return createPublicKey({ key: Buffer.from(tlog.publicKey.rawBytes, 'base64'), format: 'der', type: 'spki' })
}

/** Fixture JSON read dynamically (bundles, request bodies). */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are walked field by field in assertions
export type Json = any

/** Reads `<assets>/<case>/bundle.sigstore.json`. */
export function readConformanceBundle(caseName: string): Json {
  return JSON.parse(readFileSync(join(conformanceAssets!, caseName, 'bundle.sigstore.json'), 'utf8'))
}

/** Case directories starting with `happy-path` that hold a bundle. */
export function happyPathCases(): string[] {
  return readdirSync(conformanceAssets!).filter(
    (name) =>
      name.startsWith('happy-path') && existsSync(join(conformanceAssets!, name, 'bundle.sigstore.json')),
  )
}
