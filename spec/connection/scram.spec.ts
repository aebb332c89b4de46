import { describe, expect, it } from 'vitest'
import { AuthenticationError } from '../../lib/errors/index.js'
import { scramMechanism } from '../../lib/connection/sasl/scram.js'

// RFC 7677 section 3: SCRAM-SHA-256 test vector (user "user", password "pencil").
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO'
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'
const CLIENT_FINAL =
  'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='

describe('SCRAM-SHA-256 against the RFC 7677 test vector', () => {
  it('produces the client messages of the RFC and accepts its server signature', async () => {
    const scram = scramMechanism('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE)
    expect((await scram.start()).toString()).toBe(`n,,n=user,r=${CLIENT_NONCE}`)
    expect((await scram.next(Buffer.from(SERVER_FIRST)))!.toString()).toBe(CLIENT_FINAL)
    expect(await scram.next(Buffer.from(SERVER_FINAL))).toBeUndefined()
  })

  it('rejects a server signature that does not verify', async () => {
    const scram = scramMechanism('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE)
    await scram.start()
    await scram.next(Buffer.from(SERVER_FIRST))
    const forged = 'v=' + Buffer.alloc(32, 7).toString('base64')
    await expect(scram.next(Buffer.from(forged))).rejects.toThrow(AuthenticationError)
  })

  it('rejects a wrong password through the signature check, without leaking it', async () => {
    const scram = scramMechanism('SCRAM-SHA-256', 'user', 'not-pencil', CLIENT_NONCE)
    await scram.start()
    const final = (await scram.next(Buffer.from(SERVER_FIRST)))!.toString()
    expect(final).not.toBe(CLIENT_FINAL)
    const error = await scram.next(Buffer.from(SERVER_FINAL)).catch((e: unknown) => e as Error)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect((error as Error).message).not.toContain('not-pencil')
  })

  it('rejects a server nonce that does not extend ours, and too few iterations', async () => {
    const a = scramMechanism('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE)
    await a.start()
    await expect(a.next(Buffer.from('r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'))).rejects.toThrow(/nonce/)
    const b = scramMechanism('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE)
    await b.start()
    await expect(b.next(Buffer.from(`r=${CLIENT_NONCE}xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1`))).rejects.toThrow(/iterations/)
  })

  it('surfaces a server-final error attribute', async () => {
    const scram = scramMechanism('SCRAM-SHA-512', 'user', 'pencil', CLIENT_NONCE)
    await scram.start()
    await expect(scram.next(Buffer.from('e=unknown-user'))).rejects.toThrow(/unknown-user/)
  })

  it('escapes = and , in user names', async () => {
    const scram = scramMechanism('SCRAM-SHA-512', 'a=b,c', 'x', 'nonce')
    expect((await scram.start()).toString()).toBe('n,,n=a=3Db=2Cc,r=nonce')
  })
})
