import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStorage } from '@certus-trust/storage'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TlogError } from './errors.js'
import { resolveLogKey } from './log-key.js'
import { createTransparencyLog } from './transparency-log.js'

describe('log key handling', () => {
  let directory: string
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tlog-key-'))
  })
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true })
  })

  it('generates a P-256 key into a 0600 file and loads the same key next time', async () => {
    const path = join(directory, 'keys', 'log.pem')
    const first = await resolveLogKey({ path })
    expect(first.key.algorithm).toBe('ecdsa-p256')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const second = await resolveLogKey({ path })
    expect(second.key.publicKeyPem).toBe(first.key.publicKeyPem)
  })

  it('generates Ed25519 on request and rejects unsupported or unreadable keys', async () => {
    expect(
      (await resolveLogKey({ path: join(directory, 'ed.pem'), algorithm: 'ed25519' })).key.algorithm,
    ).toBe('ed25519')
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    await expect(resolveLogKey(rsa)).rejects.toMatchObject({ code: 'TLOG_KEY_INVALID' })
    await expect(resolveLogKey('not a pem')).rejects.toMatchObject({ code: 'TLOG_KEY_INVALID' })
    const junk = join(directory, 'junk.pem')
    await writeFile(junk, 'junk')
    const error = await resolveLogKey({ path: junk }).catch((caught: unknown) => caught)
    expect(TlogError.is(error, 'TLOG_KEY_INVALID')).toBe(true)
    // The message never echoes key material.
    expect((error as Error).message).not.toContain('junk')
  })

  it('refuses to open storage with a different key, and rotation persists the new key to the path', async () => {
    const storage = createMemoryStorage()
    const path = join(directory, 'log.pem')
    const log = await createTransparencyLog({ storage, key: { path } })
    await expect(createTransparencyLog({ storage })).rejects.toMatchObject({ code: 'TLOG_KEY_MISMATCH' })
    const before = await readFile(path, 'utf8')
    const shard = await log.rotateKey()
    const after = await readFile(path, 'utf8')
    expect(after).not.toBe(before)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    await log.close()
    await expect(log.getLogInfo()).rejects.toMatchObject({ code: 'TLOG_CLOSED' })
    // Reopening with the key file picks the rotated shard.
    const reopened = await createTransparencyLog({ storage, key: { path } })
    expect((await reopened.getLogInfo()).treeID).toBe(shard.treeId)
    await reopened.close()
  })

  it('finishes a rotation that crashed after the storage switch but before the key file moved', async () => {
    const storage = createMemoryStorage()
    const path = join(directory, 'log.pem')
    const log = await createTransparencyLog({ storage, key: { path } })
    const original = await readFile(path, 'utf8')
    await log.rotateKey()
    const rotated = await readFile(path, 'utf8')
    await log.close()
    // Simulate the crash window: old key back at the path, the new one still pending.
    await writeFile(`${path}.next`, rotated, { mode: 0o600 })
    await writeFile(path, original, { mode: 0o600 })
    const reopened = await createTransparencyLog({ storage, key: { path } })
    expect(await readFile(path, 'utf8')).toBe(rotated)
    await reopened.close()
  })
})
