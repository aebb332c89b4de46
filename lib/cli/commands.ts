/** Every `rxkafka` command, in the order the help lists them. A new command is a file of its own, added here. */
import type { CliCommand } from './args.js'
import { consumeCommand } from './consume.js'
import { lagCommand } from './lag.js'
import { metadataCommand } from './metadata.js'
import { produceCommand } from './produce.js'

export const COMMANDS: readonly CliCommand[] = [metadataCommand, produceCommand, consumeCommand, lagCommand]
