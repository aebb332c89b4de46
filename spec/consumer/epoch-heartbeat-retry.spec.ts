/**
 * The heartbeat retry path both epoch-based members share, against a recorded
 * member and a stub client in virtual time: what it reports, when it fails,
 * rejoins or waits, how long it waits, and whether it looks the coordinator up
 * again or heartbeats again after the wait. (What it decides is pinned row by
 * row in group-error-policy.spec.ts; the members' own specs run it for real.)
 */
import { VirtualTimeScheduler, type Subscription } from 'rxjs'
import { describe, expect, it } from 'vitest'
import type { ClusterClient } from '../../lib/cluster/cluster-client.js'
import { EpochHeartbeatRetry, type EpochHeartbeatMember } from '../../lib/consumer/epoch-heartbeat-retry.js'
import type { EpochHeartbeatApi } from '../../lib/consumer/group-error-policy.js'
import { RequestTimeoutError, UnsupportedVersionError, type RxKafkaError } from '../../lib/errors/index.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'

const RETRY_BACKOFF_MS = 100

function setUp(api: EpochHeartbeatApi, options: { coordinator?: number; offersApi?: boolean; sessionExpired?: () => boolean } = {}) {
  const scheduler = new VirtualTimeScheduler()
  const log: string[] = []
  const reported: RxKafkaError[] = []
  let failedWith: unknown
  let stopped = false
  let next: Subscription | undefined
  let clock = 0
  const client = {
    scheduler,
    versionFor: () => (options.offersApi === false ? undefined : 1),
    invalidateCoordinator: (type: string, key: string) => log.push(`${scheduler.now()} invalidate ${type} ${key}`),
  } as unknown as ClusterClient
  const member: EpochHeartbeatMember = {
    stopped: () => stopped,
    coordinator: () => options.coordinator,
    report: (error) => reported.push(error),
    fatal: (error) => {
      failedWith = error
      stopped = true
    },
    notEnabled: (coordinator, cause) => new UnsupportedVersionError(`broker ${coordinator} has no such groups`, { cause }),
    rejoin: () => log.push(`${scheduler.now()} rejoin`),
    sessionExpired: options.sessionExpired ?? (() => false),
    replaceNextHeartbeat: (schedule) => {
      next?.unsubscribe()
      next = schedule()
    },
    findCoordinator: () => log.push(`${scheduler.now()} find coordinator`),
    heartbeat: () => log.push(`${scheduler.now()} heartbeat`),
  }
  const retry = new EpochHeartbeatRetry(client, api, 'g', RETRY_BACKOFF_MS, member)
  return {
    retry, scheduler, log, reported,
    failedWith: () => failedWith,
    stop: () => {
      stopped = true
    },
    /** Runs the timers due in the next `ms` (the scheduler's own clock moves only when a timer runs). */
    advance: (ms: number) => {
      clock = Math.max(clock, scheduler.now()) + ms
      scheduler.maxFrames = clock
      scheduler.flush()
    },
  }
}

describe('the epoch-based members\' heartbeat retry path', () => {
  it('a retriable answer is reported, then the heartbeat is sent again after the backoff, the coordinator kept', () => {
    const t = setUp('ConsumerGroupHeartbeat', { coordinator: 1 })
    t.retry.answered(1, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, null)
    expect(t.reported.map((e) => e.code)).toEqual(['COORDINATOR_LOAD_IN_PROGRESS'])
    t.advance(99)
    expect(t.log).toEqual([])
    t.advance(1)
    expect(t.log).toEqual(['100 heartbeat'])
  })

  it('a coordinator error forgets the coordinator after the backoff and looks it up again', () => {
    const t = setUp('ConsumerGroupHeartbeat', { coordinator: 1 })
    t.retry.failed(new RequestTimeoutError('ConsumerGroupHeartbeat', 5_000, 1))
    t.advance(100)
    expect(t.log).toEqual(['100 invalidate group g', '100 find coordinator'])
    expect(t.reported).toHaveLength(1)
  })

  it('the backoff doubles with every error up to 6.4 s, and a success starts it again from 100 ms', () => {
    const t = setUp('ShareGroupHeartbeat', { coordinator: 1 })
    const waits: number[] = []
    for (let i = 0; i < 9; i++) {
      const before = t.scheduler.now()
      t.retry.answered(1, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, null)
      t.advance(20_000)
      waits.push(t.scheduler.now() - before)
    }
    expect(waits).toEqual([100, 200, 400, 800, 1_600, 3_200, 6_400, 6_400, 6_400])
    t.retry.succeeded()
    const before = t.scheduler.now()
    t.retry.answered(1, ErrorCode.NOT_COORDINATOR, null)
    t.advance(20_000)
    expect(t.scheduler.now() - before).toBe(100)
  })

  it('a second error before the wait is over replaces the waiting retry: one heartbeat, not two', () => {
    const t = setUp('ConsumerGroupHeartbeat', { coordinator: 1 })
    t.retry.answered(1, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, null)
    t.retry.answered(1, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, null)
    t.advance(1_000)
    expect(t.log).toEqual(['200 heartbeat'])
  })

  it('a KIP-848 member whose session surely expired rejoins instead of waiting', () => {
    const t = setUp('ConsumerGroupHeartbeat', { coordinator: 1, sessionExpired: () => true })
    t.retry.failed(new RequestTimeoutError('ConsumerGroupHeartbeat', 5_000, 1))
    expect(t.reported).toHaveLength(1)
    expect(t.log).toEqual(['0 rejoin'])
    t.advance(20_000)
    expect(t.log).toEqual(['0 rejoin'])
  })

  it.each(['ConsumerGroupHeartbeat', 'ShareGroupHeartbeat'] as const)('%s fenced: reported, and the member rejoins at once', (api) => {
    const t = setUp(api, { coordinator: 1 })
    t.retry.answered(1, ErrorCode.FENCED_MEMBER_EPOCH, 'fenced')
    expect(t.reported.map((e) => e.code)).toEqual(['FENCED_MEMBER_EPOCH'])
    expect(t.log).toEqual(['0 rejoin'])
  })

  it('a fatal answer fails the member with the broker error, reporting nothing and scheduling nothing', () => {
    const t = setUp('ConsumerGroupHeartbeat', { coordinator: 1 })
    t.retry.answered(1, ErrorCode.GROUP_AUTHORIZATION_FAILED, null)
    expect((t.failedWith() as RxKafkaError).code).toBe('GROUP_AUTHORIZATION_FAILED')
    expect(t.reported).toEqual([])
    t.advance(20_000)
    expect(t.log).toEqual([])
  })

  it('UNSUPPORTED_VERSION in an answer fails the member with the not-enabled error of the broker that answered', () => {
    const t = setUp('ShareGroupHeartbeat', { coordinator: 2 })
    t.retry.answered(1, ErrorCode.UNSUPPORTED_VERSION, null)
    expect((t.failedWith() as Error).message).toBe('broker 1 has no such groups')
  })

  it('an UnsupportedVersionError from a coordinator without the API fails the member as not enabled; with the API, it fails with the error as it is', () => {
    const without = setUp('ShareGroupHeartbeat', { coordinator: 3, offersApi: false })
    without.retry.failed(new UnsupportedVersionError('no usable version'))
    expect((without.failedWith() as Error).message).toBe('broker 3 has no such groups')

    const kip848 = setUp('ConsumerGroupHeartbeat', { coordinator: 3, offersApi: true })
    kip848.retry.failed(new UnsupportedVersionError('no usable version'))
    expect((kip848.failedWith() as Error).message).toBe('no usable version')

    const share = setUp('ShareGroupHeartbeat', { coordinator: 3, offersApi: true })
    share.retry.failed(new UnsupportedVersionError('no usable version'))
    expect((share.failedWith() as Error).message).toBe('no usable version')
    share.advance(100)
    expect(share.log).toEqual([])
  })

  it('a failure after the member stopped changes nothing', () => {
    const t = setUp('ConsumerGroupHeartbeat', { coordinator: 1 })
    t.stop()
    t.retry.failed(new RequestTimeoutError('ConsumerGroupHeartbeat', 5_000, 1))
    t.advance(20_000)
    expect(t.reported).toEqual([])
    expect(t.log).toEqual([])
  })
})
