/** Every `rxkafka` command, in the order the help lists them. A new command is a file of its own, added here. */
import type { CliCommand } from './args.js'
import { configsCommand } from './configs.js'
import { consumeCommand } from './consume.js'
import { groupsCommand } from './groups.js'
import { lagCommand } from './lag.js'
import { metadataCommand } from './metadata.js'
import { produceCommand } from './produce.js'
import { topicsCommand } from './topics.js'

export const COMMANDS: readonly CliCommand[] = [metadataCommand, produceCommand, consumeCommand, lagCommand, topicsCommand, groupsCommand, configsCommand]
