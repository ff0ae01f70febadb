import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  missingNodeFlags,
  NODE_FLAGS_VARIABLE,
  type RestartableProcess,
  requestedNodeFlags,
  restartWithNodeFlags,
  SMALL_SERVER_NODE_FLAGS,
} from './node-flags.js'

/** A process stand-in whose `execve` records its call instead of replacing anything. */
function fakeProcess(overrides: Partial<RestartableProcess> = {}) {
  const calls: Array<{ file: string; args: readonly string[]; env: Record<string, string | undefined> }> = []
  const target: RestartableProcess = {
    execPath: '/usr/bin/node',
    execArgv: [],
    argv: ['/usr/bin/node', '/app/main.js', 'serve', '--port', '8000'],
    env: { HOME: '/data' },
    execve: ((file: string, args: readonly string[] = [], env: Record<string, string | undefined> = {}) => {
      calls.push({ file, args, env })
    }) as RestartableProcess['execve'],
    ...overrides,
  }
  return { target, calls }
}

describe('server Node flags', () => {
  it('reads the variable: unset → defaults, none → nothing, flags → those, anything else → undefined', () => {
    expect(requestedNodeFlags(undefined)).toEqual(SMALL_SERVER_NODE_FLAGS)
    expect(requestedNodeFlags('  ')).toEqual(SMALL_SERVER_NODE_FLAGS)
    expect(requestedNodeFlags('none')).toEqual([])
    expect(requestedNodeFlags(' --max-semi-space-size=16  --no-opt ')).toEqual([
      '--max-semi-space-size=16',
      '--no-opt',
    ])
    expect(requestedNodeFlags('max-semi-space-size=16')).toBeUndefined()
    expect(requestedNodeFlags('--require ./evil.js')).toBeUndefined()
  })

  it('treats a flag as present when execArgv or NODE_OPTIONS names it, whatever its value', () => {
    const flags = ['--max-semi-space-size=8', '--no-concurrent-recompilation']
    const { target } = fakeProcess({
      execArgv: ['--max_semi_space_size=32'],
      env: { NODE_OPTIONS: '--enable-source-maps --no-concurrent-recompilation' },
    })
    expect(missingNodeFlags(flags, target)).toEqual([])
    expect(missingNodeFlags(flags, fakeProcess().target)).toEqual(flags)
  })

  it('re-executes the same script and arguments with the missing flags, keeping execArgv and the environment', () => {
    const { target, calls } = fakeProcess({ execArgv: ['--enable-source-maps'] })
    expect(restartWithNodeFlags(target)).toBeUndefined()
    expect(calls).toEqual([
      {
        file: '/usr/bin/node',
        args: [
          '/usr/bin/node',
          '--enable-source-maps',
          ...SMALL_SERVER_NODE_FLAGS,
          '/app/main.js',
          'serve',
          '--port',
          '8000',
        ],
        env: { HOME: '/data' },
      },
    ])
  })

  it('continues without re-executing when opted out, when the flags are present, or without process.execve', () => {
    const optedOut = fakeProcess({ env: { [NODE_FLAGS_VARIABLE]: 'none' } })
    restartWithNodeFlags(optedOut.target)
    const present = fakeProcess({ execArgv: [...SMALL_SERVER_NODE_FLAGS] })
    restartWithNodeFlags(present.target)
    expect([...optedOut.calls, ...present.calls]).toEqual([])
    const { execve: _omitted, ...olderNode } = fakeProcess().target
    expect(restartWithNodeFlags(olderNode)).toBeUndefined()
  })

  it("takes the entry point's defaults when the variable is unset: none for the production server", () => {
    const unset = fakeProcess()
    expect(restartWithNodeFlags(unset.target, [])).toBeUndefined()
    expect(unset.calls).toEqual([])
    const asked = fakeProcess({ env: { [NODE_FLAGS_VARIABLE]: '--max-semi-space-size=8' } })
    restartWithNodeFlags(asked.target, [])
    expect(asked.calls.map((call) => call.args.filter((arg) => arg.startsWith('--max')))).toEqual([
      ['--max-semi-space-size=8'],
    ])
  })

  it('warns and continues on a malformed variable', () => {
    const { target, calls } = fakeProcess({ env: { [NODE_FLAGS_VARIABLE]: 'semi=8' } })
    expect(restartWithNodeFlags(target)).toMatch(/CERTUS_TRUST_NODE_FLAGS: expected "none"/)
    expect(calls).toEqual([])
  })

  it.runIf(typeof process.execve === 'function')(
    'in a real process: the same pid runs again with the flags, once',
    () => {
      const module = fileURLToPath(new URL('./node-flags.ts', import.meta.url))
      const script = `
        import { restartWithNodeFlags } from ${JSON.stringify(module)}
        console.log('start', process.pid)
        restartWithNodeFlags()
        console.log('running', process.pid, JSON.stringify(process.execArgv.filter((arg) => arg.startsWith('--max'))))
      `
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, [NODE_FLAGS_VARIABLE]: '--max-semi-space-size=4' },
      })
      expect(child.status).toBe(0)
      const starts = child.stdout.match(/^start (\d+)$/gm) ?? []
      expect(starts).toHaveLength(2) // before and after the re-execution, and no third time
      const running = /^running (\d+) (.*)$/m.exec(child.stdout)
      expect(running?.[1]).toBe(/^start (\d+)$/m.exec(child.stdout)?.[1])
      expect(running?.[2]).toBe('["--max-semi-space-size=4"]')
    },
  )
})
