import { createHash, generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEntryBody, verifyEntryBodySignature } from '@certus-trust/log-protocol/entries'
import { createSigner } from '@certus-trust/signer'
import { createMemoryStorage } from '@certus-trust/storage'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type LogBackend, openLogBackend } from '../src/log-backend.js'

// The embedded backend shares one OwnSignatures ledger between the log and the service's signer: a bare-digest
// signing is recorded by the signer and taken by the log (no second check), and the entry is still a valid one.
describe('embedded log backend: the signer’s internal path', () => {
  let dir: string
  let backend: LogBackend
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'certus-own-signatures-'))
    backend = await openLogBackend(
      { transparency: { mode: 'embedded' }, logKeyPath: join(dir, 'log.key') },
      createMemoryStorage(),
    )
  })
  afterAll(async () => {
    await backend.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('records each digest signature, the log takes it, and the logged signature verifies', async () => {
    const ledger = backend.ownSignatures
    expect(ledger).toBeDefined()
    const recorded = vi.spyOn(ledger!, 'record')
    const taken = vi.spyOn(ledger!, 'take')
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const signer = createSigner({ key: privateKey, witness: backend.witness, ownSignatures: ledger! })
    for (let index = 0; index < 5; index++) {
      const digest = `sha256:${createHash('sha256').update(`own ${index}`).digest('hex')}` as const
      const result = await signer.sign(digest)
      expect(ledger!.size).toBe(0)
      // What the log stored without checking is a signature that does verify.
      const entry = result.logEntries[0]!
      await expect(verifyEntryBodySignature(parseEntryBody(entry.body))).resolves.toBeUndefined()
      expect(entry.logIndex).toBe(index)
    }
    expect(recorded).toHaveBeenCalledTimes(5)
    expect(taken.mock.results.map((outcome) => outcome.value)).toEqual([true, true, true, true, true])
  })
})
