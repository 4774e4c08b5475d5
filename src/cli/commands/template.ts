/**
 * `payouts template [--with-optional]`: its option, and a handler that loads the template only
 * when it runs.
 */
import type { Argv, CommandModule, InferredOptionTypes, Options } from 'yargs';

const templateOptions = {
  'with-optional': {
    type: 'boolean',
    default: false,
    describe: 'every column the tool reads (email, source, metadata, fee, addenda, clearing…), not only the usual ones',
  },
} as const satisfies Record<string, Options>;

/** The options of `payouts template` as yargs parses them. */
export type TemplateArgs = InferredOptionTypes<typeof templateOptions>;

export const templateCommand: CommandModule<object, TemplateArgs> = {
  command: 'template',
  describe: 'write a header row and one example line for the finance team to fill in (payouts template > payees.csv)',
  builder: (yargs: Argv) => yargs.options(templateOptions),
  handler: async (args) => {
    const { templateAction } = await import('../actions/template.js');
    process.exitCode = templateAction(args);
  },
};
