/**
 * Every error class of rxkafka and the closed list of their codes. Each layer
 * raises these; none defines its own.
 */
export * from './codes.js'
export * from './rxkafka-error.js'
export * from './protocol-errors.js'
export * from './broker-error.js'
export * from './connection-errors.js'
export * from './cluster-errors.js'
export * from './producer-errors.js'
export * from './option-errors.js'
export * from './operator-errors.js'
export * from './testing-errors.js'
export * from './usage-error.js'
export * from './admin-errors.js'
export * from './transaction-errors.js'
