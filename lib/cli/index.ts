#!/usr/bin/env node
/** Entry point of the `rxkafka` command. */
import { runCli } from './main.js'

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
