/** `rxkafka configs describe|alter`: configs of topics, brokers and groups, key by key (IncrementalAlterConfigs). */
import { UsageError } from '../errors/index.js'
import type { ConfigChange, ConfigResourceType } from '../admin/index.js'
import { stringOption, subcommandOf, type CliCommand } from './args.js'
import { listOption, table, toJson } from './cli-output.js'
import { configOption } from './topics.js'

const SUBCOMMANDS = ['describe', 'alter'] as const
const TYPES: Record<string, ConfigResourceType> = { topic: 'topic', broker: 'broker', 'broker-logger': 'broker-logger', group: 'group' }

/** `rxkafka configs`. */
export const configsCommand: CliCommand = {
  name: 'configs',
  summary: 'describe and alter configs of topics, brokers and groups',
  usage: '<describe|alter> --topic NAME | --broker ID | --group ID [options]',
  description:
    'describe: every config of the resource with its value and source (--all also lists\n' +
    'defaults; --keys limits to those keys). alter: --set k=v,... sets keys and --delete\n' +
    'k,... removes them (back to the default), only those keys change; --validate-only\n' +
    'checks without changing. --broker "" names the default of every broker.',
  options: [
    { name: 'topic', type: 'string', short: 't', value: 'NAME', description: 'the topic' },
    { name: 'broker', type: 'string', value: 'ID', description: 'the broker (its id)' },
    { name: 'group', type: 'string', value: 'ID', description: 'the group' },
    { name: 'keys', type: 'string', value: 'K,...', description: 'describe: only these keys' },
    { name: 'all', type: 'boolean', description: 'describe: also the keys at their default' },
    { name: 'set', type: 'string', value: 'K=V,...', description: 'alter: keys to set' },
    { name: 'delete', type: 'string', value: 'K,...', description: 'alter: keys to remove' },
    { name: 'validate-only', type: 'boolean', description: 'alter: only check' },
    { name: 'json', type: 'boolean', description: 'print JSON' },
  ],
  async run({ kafka, values, positionals, io }) {
    const [given] = positionals
    const sub = subcommandOf('configs', given, SUBCOMMANDS)
    const named = ['topic', 'broker', 'group'].filter((t) => stringOption(values, t) !== undefined)
    if (named.length !== 1) throw new UsageError(`configs ${sub} needs exactly one of --topic, --broker, --group`)
    const resource = { type: TYPES[named[0]!]!, name: stringOption(values, named[0]!)! }
    const json = values.json === true
    if (sub === 'describe') {
      const keys = listOption(stringOption(values, 'keys'))
      const [described] = await kafka.admin.describeConfigs([resource], keys.length === 0 ? {} : { keys })
      if (!described!.ok) {
        io.out(`${resource.type} ${resource.name}: ${described!.error.message}`)
        return 1
      }
      const shown = described!.configs.filter((c) => values.all === true || keys.length > 0 || !c.isDefault)
      if (json) io.out(toJson(shown))
      else {
        io.out(`configs of ${resource.type} ${resource.name === '' ? '(every broker)' : resource.name}`)
        for (const line of table(['NAME', 'VALUE', 'SOURCE', 'READ-ONLY'], shown.map((c) => [c.name, c.sensitive ? '(sensitive)' : (c.value ?? '(null)'), c.source, String(c.readOnly)]))) io.out(line)
      }
      return 0
    }
    const set = configOption(stringOption(values, 'set'))
    const remove = listOption(stringOption(values, 'delete'))
    if (Object.keys(set).length === 0 && remove.length === 0) throw new UsageError('configs alter needs --set k=v or --delete k')
    const change: ConfigChange = { ...resource, set, delete: remove }
    const [result] = await kafka.admin.alterConfigs([change], { validateOnly: values['validate-only'] === true })
    if (json) io.out(toJson(result!.ok ? result : { ...resource, ok: false, error: result!.error.code, message: result!.error.message }))
    else io.out(result!.ok ? `${values['validate-only'] === true ? 'could alter' : 'altered'} ${resource.type} ${resource.name}: ${[...Object.keys(set).map((k) => `${k}=${set[k]}`), ...remove.map((k) => `-${k}`)].join(', ')}` : `${resource.type} ${resource.name}: ${result!.error.message}`)
    return result!.ok ? 0 : 1
  },
}
