import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
// The shared test Fulcio (@sigstore/mock on 127.0.0.1, from test-utils).
import { fakeIdentityToken, startMockFulcio } from '@certus-trust/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certus, json, tempDir } from './helpers.js'

/*
 * Keyless `certus sign`: the OIDC token comes from --identity-token, --identity-token-file or a GitHub-Actions-style
 * token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN, audience sigstore); a local Fulcio certifies an ephemeral
 * key; the bundle verifies with --certificate-identity/--certificate-oidc-issuer (and the unanchored -regexp forms)
 * against a trusted root holding the local Fulcio CA, its CT log and the embedded log.
 */

const IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main'
const ISSUER = 'https://token.actions.githubusercontent.com'
const REQUEST_TOKEN = 'actions-request-token-5e2c'

/** A GitHub-Actions-style token endpoint: checks the bearer and the audience, answers `{ value }`. */
async function startActionsTokenEndpoint(token: string) {
  const audiences: string[] = []
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    audiences.push(url.searchParams.get('audience') ?? '')
    if (request.headers.authorization !== `bearer ${REQUEST_TOKEN}`) {
      response.writeHead(401).end('{"message":"bad credentials"}')
      return
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: token }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token?api-version=2.0`
  return { url, audiences, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

describe('keyless certus sign with a local Fulcio (built bin)', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let p: (name: string) => string
  let fulcio: Awaited<ReturnType<typeof startMockFulcio>>
  let actions: Awaited<ReturnType<typeof startActionsTokenEndpoint>>
  const token = fakeIdentityToken({ sub: IDENTITY, iss: ISSUER })

  beforeAll(async () => {
    dir = await tempDir()
    p = (name) => join(dir.path, name)
    fulcio = await startMockFulcio()
    actions = await startActionsTokenEndpoint(token)
    await writeFile(p('a.txt'), 'keyless artifact\n')
    await writeFile(p('b.txt'), 'another keyless artifact\n')
    await writeFile(p('token.jwt'), `${token}\n`)
  }, 30_000)
  afterAll(async () => {
    await actions?.close()
    await fulcio?.close()
    await dir?.cleanup()
  })

  /** The local Fulcio CA and CT log plus the data directory's logs: what verifies these bundles. */
  async function trustedRoot(): Promise<string> {
    const exported = await certus([
      'trust-root',
      'export',
      '--out',
      p('embedded-root.json'),
      '--data-dir',
      p('data'),
    ])
    expect(exported.code, exported.stderr).toBe(0)
    const embedded = JSON.parse(await readFile(p('embedded-root.json'), 'utf8')) as Record<string, unknown>
    const root = {
      ...embedded,
      certificateAuthorities: fulcio.trustedRoot.certificateAuthorities,
      ctlogs: fulcio.trustedRoot.ctlogs,
    }
    await writeFile(p('root.json'), JSON.stringify(root))
    return p('root.json')
  }

  it('signs with the ambient GitHub Actions token (audience sigstore) and verifies by identity and issuer', async () => {
    const sign = await certus(
      ['sign', p('a.txt'), '--keyless', '--fulcio-url', fulcio.url, '--data-dir', p('data'), '--json'],
      {
        env: {
          ACTIONS_ID_TOKEN_REQUEST_URL: actions.url,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
          SIGSTORE_ID_TOKEN: undefined,
        },
      },
    )
    expect(sign.code, sign.stderr).toBe(0)
    expect(actions.audiences).toEqual(['sigstore'])
    expect(json(sign)).toMatchObject({ ok: true, results: [{ ok: true, logIndex: 0 }] })
    expect(sign.stdout + sign.stderr).not.toContain(token)
    const bundle = JSON.parse(await readFile(`${p('a.txt')}.sigstore.json`, 'utf8'))
    expect(bundle.verificationMaterial.certificate.rawBytes).toBeTruthy()

    const root = await trustedRoot()
    const exact = await certus([
      'verify',
      p('a.txt'),
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      '--trusted-root',
      root,
      '--json',
    ])
    expect(exact.code, exact.stderr).toBe(0)
    expect(json(exact)).toMatchObject({
      ok: true,
      results: [{ ok: true, signer: IDENTITY, issuer: ISSUER, logIndex: 0 }],
    })
    // Not trusted without the local Fulcio: public-good plus the data directory never adds a CA.
    const untrusted = await certus([
      'verify',
      p('a.txt'),
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      '--data-dir',
      p('data'),
    ])
    expect(untrusted.code).toBe(1)
  })

  it('matches -regexp flags unanchored, as cosign does, and anchored when written ^…$', async () => {
    const root = p('root.json')
    const verify = (...flags: string[]) => certus(['verify', p('a.txt'), '--trusted-root', root, ...flags])
    // A fragment matches anywhere in the SAN (Go regexp.MatchString semantics)...
    const fragment = await verify(
      '--certificate-identity-regexp',
      'acme/app',
      '--certificate-oidc-issuer-regexp',
      'actions\\.githubusercontent',
    )
    expect(fragment.code, fragment.stderr).toBe(0)
    // ...an anchored pattern must match the whole SAN.
    const anchored = await verify(
      '--certificate-identity-regexp',
      '^acme/app$',
      '--certificate-oidc-issuer',
      ISSUER,
    )
    expect(anchored.code).toBe(1)
    expect(anchored.stderr).toContain('VERIFIER_IDENTITY_MISMATCH')
    const whole = await verify(
      '--certificate-identity-regexp',
      '^https://github\\.com/acme/app/.+@refs/heads/main$',
      '--certificate-oidc-issuer',
      ISSUER,
    )
    expect(whole.code, whole.stderr).toBe(0)
    const wrongIssuer = await verify(
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer-regexp',
      '^https://accounts\\.google\\.com$',
    )
    expect(wrongIssuer.code).toBe(1)
    expect(wrongIssuer.stderr).toContain('VERIFIER_IDENTITY_MISMATCH')
  })

  it('takes the token from --identity-token-file and --identity-token, and batches', async () => {
    const fromFile = await certus(
      [
        'sign',
        p('a.txt'),
        p('b.txt'),
        '--identity-token-file',
        p('token.jwt'),
        '--fulcio-url',
        fulcio.url,
        '--data-dir',
        p('data'),
      ],
      { env: { ACTIONS_ID_TOKEN_REQUEST_URL: undefined, SIGSTORE_ID_TOKEN: undefined } },
    )
    expect(fromFile.code, fromFile.stderr).toBe(0)
    expect(fromFile.stderr).toContain('identity token from --identity-token-file')
    expect(fromFile.stderr).toContain('2 signed / 0 failed')
    const fromFlag = await certus([
      'sign',
      p('b.txt'),
      '--identity-token',
      token,
      '--fulcio-url',
      fulcio.url,
      '--bundle',
      p('b2.json'),
      '--data-dir',
      p('data'),
    ])
    expect(fromFlag.code, fromFlag.stderr).toBe(0)
    const root = await trustedRoot()
    const verify = await certus([
      'verify',
      p('a.txt'),
      p('b.txt'),
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      '--trusted-root',
      root,
    ])
    expect(verify.code, verify.stderr).toBe(0)
    expect(verify.stderr).toContain('2 verified / 0 failed')
  })

  it('attests keylessly too; the attestation verifies by identity and names its predicate type', async () => {
    await writeFile(p('sbom.json'), JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5' }))
    const attest = await certus(
      [
        'attest',
        p('a.txt'),
        '--predicate',
        p('sbom.json'),
        '--identity-token-file',
        p('token.jwt'),
        '--fulcio-url',
        fulcio.url,
        '--data-dir',
        p('data'),
        '--json',
      ],
      { env: { ACTIONS_ID_TOKEN_REQUEST_URL: undefined, SIGSTORE_ID_TOKEN: undefined } },
    )
    expect(attest.code, attest.stderr).toBe(0)
    expect(json(attest)).toMatchObject({ ok: true, predicateType: 'https://cyclonedx.org/bom' })
    const root = await trustedRoot()
    const verify = await certus([
      'verify',
      p('a.txt'),
      '--bundle',
      `${p('a.txt')}.intoto.sigstore.json`,
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      '--trusted-root',
      root,
    ])
    expect(verify.code, verify.stderr).toBe(0)
  })

  it('reports a missing token, a refused token endpoint and a key with --keyless as typed errors', async () => {
    const none = await certus(
      ['sign', p('a.txt'), '--keyless', '--fulcio-url', fulcio.url, '--data-dir', p('data'), '--json'],
      {
        env: {
          ACTIONS_ID_TOKEN_REQUEST_URL: undefined,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined,
          SIGSTORE_ID_TOKEN: undefined,
        },
      },
    )
    expect(none.code).toBe(2)
    expect(json(none)).toMatchObject({ error: { code: 'CLI_USAGE' } })
    const refused = await certus(
      ['sign', p('a.txt'), '--keyless', '--fulcio-url', fulcio.url, '--data-dir', p('data'), '--json'],
      {
        env: {
          ACTIONS_ID_TOKEN_REQUEST_URL: actions.url,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong',
          SIGSTORE_ID_TOKEN: undefined,
        },
      },
    )
    expect(refused.code).toBe(4)
    expect(json(refused)).toMatchObject({ error: { code: 'CLI_IDENTITY_TOKEN' } })
    expect(refused.stderr).toContain('HTTP 401')
    const both = await certus(['sign', p('a.txt'), '--keyless', '--key', p('k.pem'), '--json'])
    expect(both.code).toBe(2)
    const notJwt = await certus([
      'sign',
      p('a.txt'),
      '--identity-token',
      'secret-not-a-jwt',
      '--fulcio-url',
      fulcio.url,
      '--data-dir',
      p('data'),
    ])
    expect(notJwt.code).toBe(3)
    expect(notJwt.stderr).toContain('SIGNER_IDENTITY_TOKEN_INVALID')
    expect(notJwt.stderr).not.toContain('secret-not-a-jwt')
  })
})
