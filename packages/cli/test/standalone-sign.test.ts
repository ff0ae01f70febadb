import { readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certus, tempDir } from './helpers.js'

/*
 * `certus sign` runs from its own CommonJS bundle with a code cache written after a successful run (issue 11, see
 * loadStandaloneScript). NODE_DEBUG=certus reports what became of the cache; each test has its own cache directory.
 */
describe('certus sign: the standalone bundle and its code cache', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  beforeAll(async () => {
    dir = await tempDir()
    writeFileSync(join(dir.path, 'artifact.txt'), 'code cache\n')
    writeFileSync(join(dir.path, 'bad.pem'), 'not a key\n')
    const keygen = await certus(['keygen', '--private-key', 'key.pem', '--public-key', 'key.pub'], {
      cwd: dir.path,
    })
    expect(keygen.code, keygen.stderr).toBe(0)
  })
  afterAll(() => dir.cleanup())

  let runs = 0
  /** Signs with NODE_COMPILE_CACHE=cache (a directory under the test's); verifies the bundle when signing worked. */
  async function sign(cache: string, key = 'key.pem', env: Record<string, string> = {}) {
    const bundle = `artifact-${++runs}.json`
    const result = await certus(['sign', 'artifact.txt', '--key', key, '--bundle', bundle], {
      cwd: dir.path,
      env: { NODE_DEBUG: 'certus', NODE_COMPILE_CACHE: join(dir.path, cache), ...env },
    })
    if (result.code === 0) {
      const verify = await certus(['verify', 'artifact.txt', '--bundle', bundle, '--key', 'key.pub'], {
        cwd: dir.path,
      })
      expect(verify.code, verify.stderr).toBe(0)
    }
    return result
  }
  const cacheFiles = (cache: string) =>
    readdirSync(join(dir.path, cache), { recursive: true, encoding: 'utf8' }).filter((name) =>
      /certus-[0-9a-f]+-\d+\.v8$/.test(name),
    )

  it('writes the cache after the first successful run, and the next run uses it', async () => {
    const first = await sign('cache-a')
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toMatch(/sign-command\.cjs: code cache absent/)
    expect(first.stderr).toMatch(/wrote code cache /)
    const [file] = cacheFiles('cache-a')
    expect(file).toBeDefined()
    // Only its owner may read or replace it: V8 runs what it holds.
    expect(statSync(join(dir.path, 'cache-a', file!)).mode & 0o077).toBe(0)

    const second = await sign('cache-a')
    expect(second.code, second.stderr).toBe(0)
    expect(second.stderr).toMatch(/sign-command\.cjs: code cache accepted/)
    expect(second.stderr).not.toMatch(/wrote code cache/)
  })

  it('writes no cache after a failed run', async () => {
    const failed = await sign('cache-b', 'bad.pem')
    expect(failed.code).not.toBe(0)
    expect(failed.stderr).toMatch(/code cache absent/)
    expect(cacheFiles('cache-b')).toEqual([])
  })

  it('survives a damaged cache: V8 rejects it, the command signs, and a new cache replaces it', async () => {
    expect((await sign('cache-c')).code).toBe(0)
    const [file] = cacheFiles('cache-c')
    writeFileSync(join(dir.path, 'cache-c', file!), Buffer.alloc(4096, 7), { mode: 0o600 })
    const damaged = await sign('cache-c')
    expect(damaged.code, damaged.stderr).toBe(0)
    expect(damaged.stderr).toMatch(/code cache rejected/)
    expect(damaged.stderr).toMatch(/wrote code cache /)
    expect((await sign('cache-c')).stderr).toMatch(/code cache accepted/)
  })

  it('uses no cache when Node’s compile cache is off', async () => {
    const off = await sign('cache-d', 'key.pem', { NODE_DISABLE_COMPILE_CACHE: '1' })
    expect(off.code, off.stderr).toBe(0)
    expect(off.stderr).toMatch(/sign-command\.cjs: code cache off/)
  })
})
