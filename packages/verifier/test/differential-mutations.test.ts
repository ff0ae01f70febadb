// Issue 15 item 5: differential mutation test against upstream sigstore-js (`@sigstore/verify` 4.x with
// `@sigstore/bundle`'s bundleFromJSON, exactly the pipeline of `sigstore.verify`, but with the trusted root passed
// in instead of fetched through TUF). Valid seed bundles (the conformance happy paths and bundles we generate) are
// mutated by the named catalogue in helpers/mutations.ts plus seeded random bit flips; every case runs through both
// verifiers with the same trusted root and the same identity or key (sigstore-js gets the key through a key finder
// that ignores the hint, as its CLI does; we ignore the hint too), and the artifact as bytes. sigstore-js does not
// match DSSE subjects against the artifact; we do, but no mutation here touches the artifact.
//
// Verdicts:
// - upstream rejects, we accept → failure (a bug in our verifier) — with ONE explicit exception, see below;
// - upstream accepts, we reject → allowed only for mutation names in STRICTER (exact: an unexpected stricter case
//   fails, and so does an allow-list entry no case needs any more). Each entry is documented in README.md under
//   "Where we are stricter than sigstore-js".
//
// Options: ours run with createVerifier's defaults. The one default that differs from sigstore-js by design is
// `unverifiedTimestamps: 'ignore'` (an RFC 3161 token that does not verify is left out and reported in
// `ignoredTimestamps`; sigstore-js fails closed). So "upstream rejects, we accept" is tolerated only when our result
// lists ignored timestamps AND the same case is rejected by a verifier with `unverifiedTimestamps: 'reject'`; the
// mutation names where that happens must be exactly LAXER_BY_TIMESTAMP_POLICY.
import { createHash, createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { bundleFromJSON } from '@sigstore/bundle'
import { TrustedRoot } from '@sigstore/protobuf-specs'
import {
  toSignedEntity,
  toTrustMaterial,
  type VerificationPolicy as UpstreamPolicy,
  Verifier as UpstreamVerifier,
} from '@sigstore/verify'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createVerifier,
  PUBLIC_GOOD_TRUSTED_ROOT_JSON,
  type VerificationPolicy,
  type Verifier,
  VerifierError,
} from '../src/index.js'
import { ASSETS, caseNames, loadCase, warnSkipped } from './helpers/conformance.js'
import { buildFixture, IDENTITY, ISSUER, logEntry } from './helpers/fixture.js'
import {
  allMutations,
  type Json,
  type Mutation,
  type MutationContext,
  randomFlips,
  SKIP,
} from './helpers/mutations.js'
import { createTestTsa } from './helpers/tsa.js'

const PROOF_VS_CHECKPOINT =
  "the proof's rootHash/treeSize disagree with the signed checkpoint; sigstore-js ignores both fields and uses the checkpoint's"
const RANDOM_ROOT_HASH = `a random flip in inclusionProof.rootHash: ${PROOF_VS_CHECKPOINT}`

/** Mutation name → why rejecting what sigstore-js accepts is right. Mirrors README.md ("Where we are stricter…"). */
const STRICTER: Record<string, string> = {
  'signature/not-base64':
    'strict base64: sigstore-js decodes with Buffer.from, which skips characters outside the alphabet',
  'tlog/logIndex-negative':
    'proto3 int64 fields must be non-negative decimal integers; sigstore-js does not read logIndex of an entry without SET',
  'tlog/logIndex-not-a-number':
    'as tlog/logIndex-negative: a malformed integer is a malformed bundle, read or not',
  'tlog/integratedTime-minus-1':
    'Rekor v2 seeds have no integratedTime (0): 0 - 1 is a negative integer, malformed',
  'tlog/integratedTime-negative':
    'a negative integratedTime is malformed; sigstore-js ignores it when the entry has no SET',
  'proof/treeSize-plus-1': PROOF_VS_CHECKPOINT,
  'proof/treeSize-minus-1': PROOF_VS_CHECKPOINT,
  'proof/treeSize-zero': PROOF_VS_CHECKPOINT,
  'proof/treeSize-missing': 'treeSize is REQUIRED in an InclusionProof (protobuf-specs)',
  'proof/rootHash-flip-first': PROOF_VS_CHECKPOINT,
  'proof/rootHash-flip-last': PROOF_VS_CHECKPOINT,
  'proof/rootHash-empty': PROOF_VS_CHECKPOINT,
  'proof/rootHash-zero': PROOF_VS_CHECKPOINT,
  'random/00-rootHash': RANDOM_ROOT_HASH,
  'random/01-rootHash': RANDOM_ROOT_HASH,
  'random/03-rootHash': RANDOM_ROOT_HASH,
  'random/04-rootHash': RANDOM_ROOT_HASH,
  'random/05-rootHash': RANDOM_ROOT_HASH,
  'random/06-rootHash': RANDOM_ROOT_HASH,
  'random/07-rootHash': RANDOM_ROOT_HASH,
  'checkpoint/signer-name-prefix':
    "the signer name must be the checkpoint origin's host; sigstore-js only needs it to be a substring of the log's baseUrl",
  'checkpoint/extra-blank-line':
    'a signed note has exactly one blank line before its signatures (C2SP signed-note)',
  'checkpoint/no-trailing-newline':
    'every signature line ends in a newline (C2SP signed-note); sigstore-js drops the unterminated line and verifies the rest',
  'checkpoint/hyphen-instead-of-em-dash':
    'a signature line that is not "— name base64" makes the note malformed; sigstore-js skips the line',
  'digest/algorithm-HASH_ALGORITHM_UNSPECIFIED':
    'the message digest must name its hash; sigstore-js assumes SHA-256 for an unspecified algorithm',
  'digest/algorithm-missing':
    'as digest/algorithm-HASH_ALGORITHM_UNSPECIFIED (proto3 JSON omits the zero enum)',
  'mediaType/v0.4':
    'only the bundle versions we know (0.1-0.3) are verified; sigstore-js prefix-matches any vX.Y',
  'mediaType/v0.9-legacy': 'as mediaType/v0.4, for the legacy media-type spelling',
  'mediaType/with-suffix':
    'media types are compared exactly; sigstore-js prefix-matches and ignores what follows',
  'content/both':
    'messageSignature and dsseEnvelope are a protobuf oneof; sigstore-js keeps one and ignores the other',
  'relogged/other-key':
    'the log entry must record the key (or certificate) that signed; sigstore-js compares only signature and digest',
  'relogged/no-key': "as relogged/other-key: an entry without the signer's key does not say who signed",
}

const IGNORED_TOKEN =
  "the broken RFC 3161 token is ignored ('ignore' default) and the entry's SET still gives a verified time"

/** Mutation names accepted only because of `unverifiedTimestamps: 'ignore'` (rejected under 'reject'). */
const LAXER_BY_TIMESTAMP_POLICY: Record<string, string> = {
  'rfc3161/flip-at-50pct': IGNORED_TOKEN,
  'rfc3161/flip-last': IGNORED_TOKEN,
  'rfc3161/truncate': IGNORED_TOKEN,
  'rfc3161/empty': IGNORED_TOKEN,
  'rfc3161/garbage': IGNORED_TOKEN,
  'rfc3161/garbage-added': IGNORED_TOKEN,
  'random/06-rfc3161-0': IGNORED_TOKEN,
}

/**
 * Conformance seeds that differ from another seed in one aspect only get the mutation families of that aspect (plus
 * their random flips): the full catalogue on near-copies would double the runtime and find nothing new.
 */
const CHECKPOINT_FOCUS = ['checkpoint', 'proof', 'tlog']
const TIMESTAMP_FOCUS = ['rfc3161', 'signature', 'certificate']
const FOCUS: Record<string, string[]> = {
  'conformance/rekor2-checkpoint-cosigned': CHECKPOINT_FOCUS,
  'conformance/rekor2-checkpoint-multiple-cosigs': CHECKPOINT_FOCUS,
  'conformance/rekor2-checkpoint-origin-not-first': CHECKPOINT_FOCUS,
  'conformance/rekor2-checkpoint-two-sigs-cosigned': CHECKPOINT_FOCUS,
  'conformance/rekor2-checkpoint-two-sigs-from-origin': CHECKPOINT_FOCUS,
  'conformance/rekor2-timestamp-with-embedded-cert': TIMESTAMP_FOCUS,
  'conformance/rekor2-timestamp-with-expired-cert-chain': TIMESTAMP_FOCUS,
  'conformance/rekor2-timestamp-without-embedded-cert': TIMESTAMP_FOCUS,
  'conformance/trust-root-tsa-validity-end-inclusive': TIMESTAMP_FOCUS,
  'conformance/trust-root-tlog-validity-end-inclusive': ['tlog', 'set', 'proof', 'checkpoint'],
  // Byte for byte happy-path-v0.3 but for the media type spelling.
  'conformance/happy-path-v0.3-new-mediaType': ['mediaType', 'material', 'content'],
}

const inFocus = (seed: Seed, mutation: Mutation) =>
  !FOCUS[seed.name] || FOCUS[seed.name]!.includes(mutation.name.split('/')[0]!)

/** Random flips per seed (25 seeds → 200 cases). */
const RANDOM_FLIPS_PER_SEED = 8

interface Seed {
  name: string
  bundle: Json
  /** JSON text of the unmutated bundle, to recognise a mutation that changed nothing. */
  text: string
  artifact: Buffer
  context: MutationContext
  ours: Verifier
  /** Same root, `unverifiedTimestamps: 'reject'`: only used to explain an acceptance that ignored a token. */
  oursFailClosed: Verifier
  policy: VerificationPolicy
  upstream: UpstreamVerifier
  upstreamPolicy: UpstreamPolicy | undefined
}

function makeSeed(
  name: string,
  bundle: Json,
  artifact: Buffer,
  trustedRoot: string | Json,
  signer: { identity: string; issuer: string } | { publicKeyPem: string },
  relog?: MutationContext['relog'],
): Seed {
  const rootJson = typeof trustedRoot === 'string' ? JSON.parse(trustedRoot) : trustedRoot
  const keyFinder =
    'publicKeyPem' in signer
      ? () => ({
          publicKey: createPublicKey(signer.publicKeyPem),
          validFor: () => true,
        })
      : undefined
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  return {
    name,
    bundle,
    text: JSON.stringify(bundle),
    artifact,
    context: { artifact, relog },
    ours: createVerifier({ trustedRoot: rootJson }),
    oursFailClosed: createVerifier({ trustedRoot: rootJson, unverifiedTimestamps: 'reject' }),
    policy:
      'publicKeyPem' in signer
        ? { publicKey: signer.publicKeyPem }
        : { identity: signer.identity, issuer: signer.issuer },
    upstream: new UpstreamVerifier(toTrustMaterial(TrustedRoot.fromJSON(rootJson), keyFinder)),
    // sigstore-js matches the SAN as an unanchored RegExp; anchoring the escaped identity makes it our exact match.
    upstreamPolicy:
      'publicKeyPem' in signer
        ? undefined
        : {
            subjectAlternativeName: new RegExp(`^${escaped(signer.identity)}$`),
            extensions: { issuer: signer.issuer },
          },
  }
}

function conformanceSeeds(): Seed[] {
  if (!ASSETS) return []
  return caseNames()
    .map(loadCase)
    .filter((item) => !item.expectFail)
    .map((item) =>
      makeSeed(
        `conformance/${item.name}`,
        JSON.parse(readFileSync(item.bundlePath, 'utf8')),
        readFileSync(item.artifact),
        item.trustedRoot ? readFileSync(item.trustedRoot, 'utf8') : PUBLIC_GOOD_TRUSTED_ROOT_JSON,
        item.key
          ? { publicKeyPem: readFileSync(item.key, 'utf8') }
          : { identity: item.identity, issuer: item.issuer },
      ),
    )
}

/** Our generated bundles: keyless message signature, DSSE, managed key, and a Rekor v2 entry with an RFC 3161 token. */
function ownSeeds(): Seed[] {
  const fixture = buildFixture()
  let nextIndex = 5000
  const relog = (body: Buffer, kind: string, version: string) =>
    logEntry(body, kind, version, fixture.keys.log, fixture.integratedTime, nextIndex++)
  const identity = { identity: IDENTITY, issuer: ISSUER }

  const tsa = createTestTsa('differential-tsa')
  const v2 = structuredClone(fixture.bundle) as Json
  const signature = v2.messageSignature.signature as string
  const v2Body = {
    apiVersion: '0.0.2',
    kind: 'hashedrekord',
    spec: {
      hashedRekordV002: {
        data: {
          algorithm: 'SHA2_256',
          digest: createHash('sha256').update(fixture.artifact).digest('base64'),
        },
        signature: {
          content: signature,
          verifier: {
            x509Certificate: { rawBytes: fixture.keys.leaf.der.toString('base64') },
            keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          },
        },
      },
    },
  }
  const v2Entry: Json = relog(Buffer.from(JSON.stringify(v2Body)), 'hashedrekord', '0.0.2')
  delete v2Entry.inclusionPromise
  delete v2Entry.integratedTime
  v2.verificationMaterial.tlogEntries = [v2Entry]
  v2.verificationMaterial.timestampVerificationData = {
    rfc3161Timestamps: [
      tsa.stamp(Buffer.from(signature, 'base64'), new Date(fixture.integratedTime * 1000 + 1000)),
    ],
  }
  const v2Root = structuredClone(fixture.trustedRoot) as Json
  v2Root.timestampAuthorities = [tsa.authority]

  return [
    makeSeed('own/keyless-message', fixture.bundle, fixture.artifact, fixture.trustedRoot, identity, relog),
    makeSeed('own/keyless-dsse', fixture.dsseBundle, fixture.artifact, fixture.trustedRoot, identity, relog),
    makeSeed(
      'own/managed-key-message',
      fixture.keyBundle,
      fixture.artifact,
      fixture.trustedRoot,
      { publicKeyPem: fixture.keyPem },
      relog,
    ),
    makeSeed('own/rekor-v2-rfc3161', v2, fixture.artifact, v2Root, identity, relog),
  ]
}

type Outcome = { ok: true; ignoredTimestamps: number } | { ok: false; reason: string }

async function runOurs(verifier: Verifier, seed: Seed, bundle: Json): Promise<Outcome> {
  try {
    const result = await verifier.verify(bundle, seed.artifact, seed.policy)
    return { ok: true, ignoredTimestamps: result.ignoredTimestamps.length }
  } catch (error) {
    // Every rejection must be typed; anything else is a crash, which the test reports as such.
    if (!VerifierError.is(error)) return { ok: false, reason: `UNTYPED ${String(error)}` }
    return { ok: false, reason: error.code }
  }
}

function runUpstream(seed: Seed, bundle: Json): Outcome {
  try {
    const entity = toSignedEntity(bundleFromJSON(bundle), seed.artifact)
    seed.upstream.verify(entity, seed.upstreamPolicy)
    return { ok: true, ignoredTimestamps: 0 }
  } catch (error) {
    const typed = error as { code?: string; name?: string }
    return { ok: false, reason: typed.code ?? typed.name ?? 'Error' }
  }
}

interface Findings {
  cases: number
  agreedAccept: number
  agreedReject: number
  /** upstream rejects, we accept (and it is not the documented timestamp policy). */
  bugs: string[]
  untyped: string[]
  /** mutation name → example cases where we are stricter. */
  stricter: Map<string, string[]>
  laxerByPolicy: Map<string, string[]>
}

const findings: Findings = {
  cases: 0,
  agreedAccept: 0,
  agreedReject: 0,
  bugs: [],
  untyped: [],
  stricter: new Map(),
  laxerByPolicy: new Map(),
}

const record = (map: Map<string, string[]>, key: string, value: string) => {
  map.set(key, [...(map.get(key) ?? []), value])
}

async function compare(seed: Seed, mutation: Mutation): Promise<boolean> {
  const bundle = structuredClone(seed.bundle)
  // A mutation that does not apply, or changes nothing (e.g. dropping a proof hash from an empty list), is no case.
  if (mutation.mutate(bundle, seed.context) === SKIP) return false
  if (JSON.stringify(bundle) === seed.text) return false
  findings.cases++
  const label = `${seed.name} :: ${mutation.name}`
  const upstream = runUpstream(seed, bundle)
  const ours = await runOurs(seed.ours, seed, bundle)
  if (!ours.ok && ours.reason.startsWith('UNTYPED')) findings.untyped.push(`${label}: ${ours.reason}`)
  if (upstream.ok === ours.ok) {
    if (ours.ok) findings.agreedAccept++
    else findings.agreedReject++
  } else if (upstream.ok && !ours.ok) {
    record(findings.stricter, mutation.name, `${seed.name} (${ours.reason})`)
  } else if (
    ours.ok &&
    ours.ignoredTimestamps > 0 &&
    !(await runOurs(seed.oursFailClosed, seed, bundle)).ok
  ) {
    record(
      findings.laxerByPolicy,
      mutation.name,
      `${seed.name} (upstream ${(upstream as { reason: string }).reason})`,
    )
  } else {
    findings.bugs.push(`${label}: upstream rejects (${(upstream as { reason: string }).reason}), we accept`)
  }
  return true
}

warnSkipped('differential mutations (conformance seeds)')

const cpuNow = () => {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}
const started = cpuNow()
const mutations = allMutations()
// Built at collection time so that each seed is its own test (names known up front).
const seeds: Seed[] = [...conformanceSeeds(), ...ownSeeds()]

afterAll(() => {
  console.info(
    `differential mutations: ${findings.cases} cases over ${seeds.length} seeds, ` +
      `${findings.agreedReject} both reject, ${findings.agreedAccept} both accept, ` +
      `${[...findings.stricter.values()].flat().length} stricter (${findings.stricter.size} mutations), ` +
      `${[...findings.laxerByPolicy.values()].flat().length} ignored-timestamp acceptances; ` +
      `${((cpuNow() - started) / 1e6).toFixed(1)} s CPU`,
  )
})

describe('differential mutations against sigstore-js (@sigstore/verify)', () => {
  it('every seed verifies with both verifiers (so each verdict below is caused by its mutation)', async () => {
    expect(seeds.length).toBe(ASSETS ? 25 : 4)
    for (const seed of seeds) {
      expect(runUpstream(seed, structuredClone(seed.bundle)), `${seed.name} upstream`).toEqual({
        ok: true,
        ignoredTimestamps: 0,
      })
      expect(await runOurs(seed.ours, seed, structuredClone(seed.bundle)), `${seed.name} ours`).toEqual({
        ok: true,
        ignoredTimestamps: 0,
      })
    }
  })

  it.each(seeds)(
    '$name: we reject everything sigstore-js rejects (named mutations, random flips)',
    async (seed) => {
      const before = { bugs: findings.bugs.length, untyped: findings.untyped.length, cases: findings.cases }
      for (const mutation of mutations.filter((item) => inFocus(seed, item))) await compare(seed, mutation)
      for (const mutation of randomFlips(seed.name, seed.bundle, RANDOM_FLIPS_PER_SEED))
        await compare(seed, mutation)
      expect(findings.untyped.slice(before.untyped)).toEqual([])
      expect(findings.bugs.slice(before.bugs)).toEqual([])
      expect(findings.cases - before.cases).toBeGreaterThan(FOCUS[seed.name] ? 15 : 100)
    },
  )

  it('the catalogue is as large as intended', () => {
    expect(findings.cases).toBeGreaterThan(ASSETS ? 2400 : 500)
    // Benign mutations (a chain reduced to its leaf, an unknown cosignature, a re-logged identical body…) must still
    // verify on both sides: a harness that rejected everything would agree with anything.
    expect(findings.agreedAccept).toBeGreaterThan(ASSETS ? 150 : 20)
  })

  it('README.md documents every allow-listed mutation under "Where we are stricter than sigstore-js"', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const start = readme.indexOf('## Where we are stricter than sigstore-js')
    expect(start).toBeGreaterThan(0)
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1))
    const names = [...Object.keys(STRICTER), ...Object.keys(LAXER_BY_TIMESTAMP_POLICY)]
    expect(names.filter((name) => !section.includes(`\`${name}\``))).toEqual([])
  })

  it('where we are stricter, the mutation is on the explicit allow-list (and no entry is stale)', () => {
    const observed = Object.fromEntries(
      [...findings.stricter].map(([name, where]) => [name, where.slice(0, 3)]),
    )
    const unexpected = Object.keys(observed).filter((name) => !(name in STRICTER))
    expect(unexpected.map((name) => `${name}: ${observed[name]!.join('; ')}`)).toEqual([])
    if (ASSETS) expect(Object.keys(STRICTER).filter((name) => !(name in observed))).toEqual([])
  })

  it("acceptances that ignored an unverified RFC 3161 token are exactly the documented 'ignore' default", () => {
    const observed = [...findings.laxerByPolicy.keys()]
    expect(observed.filter((name) => !(name in LAXER_BY_TIMESTAMP_POLICY))).toEqual([])
    if (ASSETS)
      expect(Object.keys(LAXER_BY_TIMESTAMP_POLICY).filter((name) => !observed.includes(name))).toEqual([])
  })
})
