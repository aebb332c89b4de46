/**
 * The step the describers of the newer group protocols share: ConsumerGroupDescribe
 * (KIP-848) and ShareGroupDescribe (KIP-932) answer the same way, so reading
 * their answer lives here once.
 */
import { catchError, map, type Observable, of, throwError } from 'rxjs'
import { ErrorCode } from '../protocol/error-codes.js'
import type { ItemAnswer } from './admin-routing.js'

/** What both describe responses carry per group. */
interface DescribedGroupAnswer {
  errorCode: number
  errorMessage: string | null
}

/**
 * Reads a one-group describe answer: GROUP_ID_NOT_FOUND and a broker that does
 * not know the API both give undefined (the group is not of this type, the next
 * describer takes it); any other answer is settled, with `toValue` mapping the group.
 */
export function describeNewProtocolGroup<G extends DescribedGroupAnswer, V>(
  answer$: Observable<{ groups: G[] }>,
  toValue: (group: G) => V,
): Observable<ItemAnswer<V> | undefined> {
  return answer$.pipe(
    map((response): ItemAnswer<V> | undefined => {
      const g = response.groups[0]
      if (g === undefined) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'no group in the answer' }
      if (g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return undefined
      return { errorCode: g.errorCode, errorMessage: g.errorMessage, value: toValue(g) }
    }),
    catchError((error: unknown) => (error instanceof Error && (error as { code?: string }).code === 'UNSUPPORTED_VERSION' ? of(undefined) : throwError(() => error))),
  )
}
