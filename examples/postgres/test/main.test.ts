import { execFile } from 'node:child_process'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The test server (CERTUS_TEST_DATABASE_URL, as every PostgreSQL test in the repository) and name prefix. */
const SERVER_URL = process.env.CERTUS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const PREFIX = process.env.CERTUS_TEST_DATABASE_PREFIX ?? 'certus_example_'
/** Whether something listens there (checked before collecting the suite, so a skip is explicit). */
const reachable = await new Promise<boolean>((done) => {
  const where = new URL(SERVER_URL)
  const socket = connect({ host: where.hostname, port: Number(where.port || 5432), timeout: 2_000 })
  socket.once('connect', () => {
    socket.destroy()
    done(true)
  })
  socket.once('error', () => done(false))
  socket.once('timeout', () => {
    socket.destroy()
    done(false)
  })
})
const required = process.env.CERTUS_REQUIRE_POSTGRES === '1'
if (!reachable) {
  console.warn(
    `\n*** @example/postgres: PostgreSQL is not reachable at ${new URL(SERVER_URL).host} (CERTUS_TEST_DATABASE_URL) — ${required ? 'FAILING (CERTUS_REQUIRE_POSTGRES=1)' : 'NOT RUN'}. ***\n`,
  )
}

describe.skipIf(!reachable && !required)('PostgreSQL example', () => {
  it('runs with one command in its own throwaway database', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (done) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', 'src/main.ts'],
          {
            cwd: root,
            timeout: 60_000,
            env: {
              ...process.env,
              CERTUS_EXAMPLE_POSTGRES_URL: SERVER_URL,
              CERTUS_EXAMPLE_DATABASE_PREFIX: PREFIX,
            },
          },
          (error, out, err) =>
            done({ code: error ? ((error.code as number) ?? 1) : 0, stdout: out, stderr: err }),
        )
      },
    )
    expect(code, stderr).toBe(0)
    const name = new RegExp(`created database (${PREFIX}[0-9a-f]{12})`).exec(stdout)?.[1]
    expect(name).toBeDefined()
    expect(stdout).toMatch(/migrated to schema version \d+/)
    expect(stdout).toContain('signed 3 artifacts at log indexes 0, 1, 2')
    expect(stdout).toContain('verified app-1.0.0.spdx.json (log index 1) from the stored bundle')
    expect(stdout).toContain('log tree size 3; 3 signed-artifact records; 1 verification record(s)')
    expect(stdout).toContain(`dropped database ${name}`)
  })
})
