/** Transactions: the plain form, the consume-transform-produce operator, and the producer under both. */
export { transaction, transactionalProducer } from './transaction.js'
export type { TransactionContext, TransactionMessage } from './transaction.js'
export { transactionalWindow } from './transactionalWindow.js'
export type { TransactionalWindowOptions, TransactionalWindowOptionsWithClient, TransactionalWindowResult, WindowTransform } from './transactionalWindow.js'
export { TransactionManager } from '../producer/transaction-manager.js'
export type {
  TransactionalProducerOptions,
  TransactionalRecord,
  TransactionalWrite,
  TransactionGroupMetadata,
  TransactionOffset,
} from '../producer/transaction-manager.js'
