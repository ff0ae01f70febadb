import { createHash, randomBytes } from 'node:crypto'
import { RekorError } from '@certus-trust/log-protocol'
import { buildHashedRekordProposedEntry, OwnSignatures } from '@certus-trust/log-protocol/entries'
import { createRekorClient } from '@certus-trust/rekor'
import { createMemoryStorage } from '@certus-trust/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTransparencyLog, TlogError, type TransparencyLog } from '../src/index.js'
import { hashedRekordEntry, p256Signer } from './helpers.js'
import { startRekorServer } from './http-server.js'

// The internal path: a log opened with an OwnSignatures ledger skips its second check of a signature recorded
// there — only when createEntry is handed that same ledger object. To prove that nothing else reaches it, the
// ledger is given a triple whose signature does NOT verify (a signer would never record one): every other route
// must then refuse the entry, and only the internal path accepts it.
describe('own-signature internal path', () => {
  const ledger = new OwnSignatures()
  let log: TransparencyLog
  let server: Awaited<ReturnType<typeof startRekorServer>>

  const signer = p256Signer()
  const good = hashedRekordEntry(signer)
  // The signature of `good`, claimed over another digest: invalid, but recorded in the ledger.
  const otherDigest = createHash('sha256').update(randomBytes(16)).digest('hex')
  const forged = buildHashedRekordProposedEntry({
    digest: `sha256:${otherDigest}`,
    signature: good.signature,
    publicKeyPem: signer.publicKeyPem,
  })

  beforeAll(async () => {
    log = await createTransparencyLog({
      storage: createMemoryStorage(),
      baseUrl: 'http://127.0.0.1',
      ownSignatures: ledger,
    })
    server = await startRekorServer(log)
    ledger.record('sha256', otherDigest, good.signature, signer.publicKeyPem)
  })

  afterAll(async () => {
    await server.close()
    await log.close()
  })

  it('is not reachable through the Rekor API', async () => {
    const client = createRekorClient({ baseUrl: server.baseUrl, retries: 0, timeout: 5000 })
    const refused = await client.createEntry(forged).catch((error: unknown) => error)
    expect(RekorError.is(refused)).toBe(true)
    expect((refused as RekorError).details?.status).toBe(400)
    // A request that tries to smuggle a ledger in the JSON body or options is just as unchecked-free.
    const response = await fetch(`${server.baseUrl}/api/v1/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...forged, ownSignatures: {}, options: { ownSignatures: {} } }),
    })
    expect(response.status).toBe(400)
    expect(ledger.size).toBe(1)
  })

  it('is not reachable with any other options: none, another ledger, a copy of this one', async () => {
    const other = new OwnSignatures()
    other.record('sha256', otherDigest, good.signature, signer.publicKeyPem)
    for (const options of [
      {},
      { ownSignatures: other },
      { ownSignatures: JSON.parse(JSON.stringify(ledger)) },
      { ownSignatures: Object.create(ledger) },
    ]) {
      const refused = await log.createEntry(forged, options as never).catch((error: unknown) => error)
      expect(TlogError.is(refused, 'TLOG_SIGNATURE_INVALID')).toBe(true)
    }
    expect(ledger.size).toBe(1)
  })

  it('is taken only with this log’s own ledger, once', async () => {
    const accepted = await log.createEntry(forged, { ownSignatures: ledger })
    expect(accepted.logIndex).toBe(0)
    expect(ledger.size).toBe(0)
    // Consumed: the same triple again (a fresh digest so it is not a duplicate) is verified as usual.
    ledger.record('sha256', otherDigest, good.signature, signer.publicKeyPem)
    const again = buildHashedRekordProposedEntry({
      digest: `sha256:${createHash('sha256').update('x').digest('hex')}`,
      signature: good.signature,
      publicKeyPem: signer.publicKeyPem,
    })
    const refused = await log.createEntry(again, { ownSignatures: ledger }).catch((error: unknown) => error)
    expect(TlogError.is(refused, 'TLOG_SIGNATURE_INVALID')).toBe(true)
    // A valid entry not in the ledger takes the internal path's call and is still verified (and accepted).
    const valid = await log.createEntry(good.proposed, { ownSignatures: ledger })
    expect(valid.logIndex).toBe(1)
  })
})

// The benchmark's way of feeding pre-built entries (another entry check) lives in an unexported factory: nothing a
// caller of the package can pass switches a log's checks off.
describe('no public switch for the entry check', () => {
  it('the package entry does not export it, and no option of createTransparencyLog replaces the check', async () => {
    const entry = await import('../src/index.js')
    expect(Object.keys(entry)).not.toContain('openTransparencyLog')
    expect(Object.keys(entry).some((name) => /validator/i.test(name))).toBe(false)
    const signer = p256Signer()
    const good = hashedRekordEntry(signer)
    const forged = buildHashedRekordProposedEntry({
      digest: `sha256:${createHash('sha256').update('forged').digest('hex')}`,
      signature: good.signature,
      publicKeyPem: signer.publicKeyPem,
    })
    const passThrough = (proposed: unknown) => proposed
    const log = await createTransparencyLog({
      storage: createMemoryStorage(),
      ...({
        validate: passThrough,
        validator: passThrough,
        [Symbol('tlog.internal.validator')]: passThrough,
      } as object),
    } as never)
    try {
      const refused = await log.createEntry(forged).catch((error: unknown) => error)
      expect(TlogError.is(refused, 'TLOG_SIGNATURE_INVALID')).toBe(true)
    } finally {
      await log.close()
    }
  })
})
