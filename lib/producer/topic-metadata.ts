/**
 * The topics of one engine and what the engine knows of them: each topic's
 * state (created with its partitioner on first use), the lookup for messages
 * waiting on a topic whose partitions are not known yet, the cluster views
 * applied to every topic (partitions, leaders: a new leader ends a backoff at
 * once), and the metadata refresh when a leader is missing or an answer said
 * to look again.
 */
import type { ClusterView } from '../cluster/cluster-view.js'
import { RxKafkaError } from '../errors/index.js'
import { asError, newBreaker } from './engine-state.js'
import type { EngineHost } from './engine-state.js'
import type { PartitionQueues } from './partition-queue.js'
import { createTopicPartitioner } from './partitioners.js'
import { PartitionState, TopicState } from './partition-state.js'
import type { WaitingMessage } from './partition-state.js'

export class TopicMetadata<M> {
  #refreshInFlight = false

  constructor(private readonly host: EngineHost<M>, private readonly queues: PartitionQueues<M>) {}

  /** The topic's state, created on first use (ready at once when the current view knows its partitions). */
  topic(name: string): TopicState<M> {
    const { client, options, state } = this.host
    let topic = state.topics.get(name)
    if (topic === undefined) {
      topic = new TopicState<M>(name, createTopicPartitioner(options.partitioner, name, options.random))
      state.topics.set(name, topic)
      const known = client.currentView().topics.get(name)
      // Partitions without a leader do not hold the topic back: their batches wait for one (refreshing metadata).
      if (known !== undefined && known.errorCode === 0 && known.partitions.length > 0) {
        this.#applyTopicView(topic, client.currentView())
        topic.ready = true
      }
    }
    return topic
  }

  /**
   * Looks the topic up for the messages waiting for it. Metadata requests no
   * broker answers (brokers still starting, an outage) are retried by
   * ensureTopics until the first waiting message's delivery deadline; when it
   * gives up, the cycle expires what is due (with that error as the cause)
   * and looks up again for the rest. A final answer (the topic does not
   * exist, no authorization) fails the waiting messages only: the failure is
   * not kept, so later messages look again.
   */
  lookup(topic: TopicState<M>): void {
    if (topic.lookupInFlight || topic.ready || topic.waitingCount === 0) return
    const host = this.host
    topic.lookupInFlight = true
    const retryUntil = topic.waiting[topic.waitingHead]!.enqueuedAt + host.options.deliveryTimeoutMs
    host.run(host.client.ensureTopics([topic.name], { retryUntil, requireLeaders: false }), {
      next: (view) => {
        topic.lookupInFlight = false
        topic.failed = undefined
        this.onView(view)
        topic.ready = true
        host.kick()
      },
      error: (error: unknown) => {
        topic.lookupInFlight = false
        const failure = asError(error)
        topic.failed = failure
        if (!(failure instanceof RxKafkaError && failure.retriable)) this.#failWaiting(topic, failure)
        host.kick()
      },
    })
  }

  /** A new cluster view: every topic takes its partitions and leaders from it. */
  onView(view: ClusterView): void {
    for (const topic of this.host.state.topics.values()) this.#applyTopicView(topic, view)
    this.host.kick()
  }

  #applyTopicView(topic: TopicState<M>, view: ClusterView): void {
    const info = view.topics.get(topic.name)
    if (info === undefined || info.errorCode !== 0) return
    for (const p of info.partitions) {
      while (topic.partitions.length <= p.partition) {
        topic.partitions.push(new PartitionState<M>(topic, topic.partitions.length, newBreaker(this.host.options, () => { topic.availableDirty = true })))
      }
      const state = topic.partitions[p.partition]!
      if (state.leader !== p.leader) {
        state.leader = p.leader
        topic.availableDirty = true
        // A new leader: a batch backing off after the old one failed goes to it at once (as KIP-951 has it).
        if (p.leader >= 0) this.queues.retryNow(state)
      }
    }
  }

  /** The topic cannot be had: every message waiting for it fails with `error`. */
  #failWaiting(topic: TopicState<M>, error: Error): void {
    const host = this.host
    const now = host.now()
    let entry: WaitingMessage<M> | undefined
    while ((entry = topic.shiftWaiting()) !== undefined && !host.state.closed) {
      host.state.waitingMessages--
      host.failMessage(topic.name, entry.message.partition ?? -1, entry.message.metadata, error, now)
    }
  }

  /** Refreshes every topic's metadata, one refresh at a time, at most once per initial backoff. */
  refresh(): void {
    const host = this.host
    if (this.#refreshInFlight || host.state.closed) return
    this.#refreshInFlight = true
    host.state.nextMetadataRefreshAt = host.now() + host.options.retryBackoff.initialMs
    const topics = [...host.state.topics.keys()]
    const settled = (): void => {
      this.#refreshInFlight = false
      host.kick()
    }
    host.run(host.client.refreshMetadata(topics), { next: (view) => this.onView(view), error: settled, complete: settled })
  }
}
