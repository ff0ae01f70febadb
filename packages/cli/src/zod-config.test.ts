import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { configureZodForCommand } from './zod-config.js'

describe('configureZodForCommand', () => {
  it('turns zod JIT off for one-shot commands', () => {
    for (const command of ['sign', 'verify', 'verify-bundle', 'log', undefined]) {
      const target: Record<string, unknown> = {}
      configureZodForCommand(command, target)
      expect(target.__zod_globalConfig, String(command)).toEqual({ jitless: true })
    }
  })

  it('leaves zod JIT on for certus serve', () => {
    const target: Record<string, unknown> = {}
    configureZodForCommand('serve', target)
    expect(target).toEqual({})
  })

  it('keeps an existing configuration object (a zod loaded earlier holds on to it)', () => {
    const existing = { customError: 'kept' }
    const target: Record<string, unknown> = { __zod_globalConfig: existing }
    configureZodForCommand('sign', target)
    expect(target.__zod_globalConfig).toBe(existing)
    expect(existing).toEqual({ customError: 'kept', jitless: true })
  })

  it('names the object zod itself reads its configuration from', async () => {
    // zod is a dependency of the bundled packages, not of this one: resolved from one of them.
    const zodPath = createRequire(import.meta.resolve('@certus-trust/log-protocol')).resolve('zod')
    const { config } = (await import(zodPath)) as {
      config: (update?: { jitless?: boolean }) => { jitless?: boolean }
    }
    configureZodForCommand('sign')
    expect(config().jitless).toBe(true)
    expect(config()).toBe((globalThis as Record<string, unknown>).__zod_globalConfig)
    config({ jitless: false })
  })
})
