import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { createPgDriver } from './pg-driver.js'

/** What pg raises for a query on a pooled connection the server ended, and for a connection it refused. */
const ended = () =>
  Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })

/** A pool whose first `failures` queries fail with `failure()`; counts the queries it was asked. */
function pool(failures: number, failure: () => Error, max = 4) {
  let calls = 0
  const fake = {
    options: { max },
    async query() {
      calls += 1
      if (calls <= failures) throw failure()
      return { rows: [{ ok: 1 }] }
    },
  }
  return { driver: createPgDriver(fake as unknown as pg.Pool, false), calls: () => calls }
}

describe('reads on the pool after the server ended connections', () => {
  it('retry past every dead pooled connection: up to the pool size', async () => {
    const { driver, calls } = pool(4, ended)
    await expect(driver.query('SELECT 1')).resolves.toEqual([{ ok: 1 }])
    expect(calls()).toBe(5)
  })

  it('fail once the pool size is spent', async () => {
    const { driver, calls } = pool(5, ended)
    await expect(driver.query('SELECT 1')).rejects.toMatchObject({ code: '57P01' })
    expect(calls()).toBe(5)
  })

  it('retry another connection failure once only (a server that refuses answers fast, not after N tries)', async () => {
    const { driver, calls } = pool(2, refused)
    await expect(driver.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    expect(calls()).toBe(2)
  })

  it('take a socket that closed under a pooled connection as ended, not a connect timeout', async () => {
    const closed = () => new Error('Connection terminated unexpectedly')
    const timedOut = () => new Error('Connection terminated due to connection timeout')
    const first = pool(3, closed)
    await expect(first.driver.query('SELECT 1')).resolves.toEqual([{ ok: 1 }])
    expect(first.calls()).toBe(4)
    const second = pool(3, timedOut)
    await expect(second.driver.query('SELECT 1')).rejects.toThrow(/connection timeout/)
    expect(second.calls()).toBe(2)
  })

  it('never retry a write', async () => {
    const { driver, calls } = pool(1, ended)
    await expect(driver.query('INSERT INTO t VALUES (1)')).rejects.toMatchObject({ code: '57P01' })
    expect(calls()).toBe(1)
  })
})
