/** Share groups (KIP-932): records shared by the members of a group, each settled on its own. */
export { consumeShareGroup, ShareGroupConsumer } from './consume-share-group.js'
export type { ConsumeShareGroupOptions, ShareAcknowledgeMode } from './share-group-options.js'
export type { ShareAcknowledgement, ShareRecord } from './share-record.js'
