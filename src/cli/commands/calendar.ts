/**
 * `payouts calendar [--from DATE] [--days N]`: its options, and a handler that loads the calendar
 * only when it runs.
 */
import type { Argv, CommandModule, InferredOptionTypes, Options } from 'yargs';

const calendarOptions = {
  from: {
    type: 'string',
    requiresArg: true,
    describe: 'first day, YYYY-MM-DD (default: today in Central Time)',
  },
  days: { type: 'number', requiresArg: true, default: 14, describe: 'how many calendar days, 1-366' },
} as const satisfies Record<string, Options>;

/** The options of `payouts calendar` as yargs parses them. */
export type CalendarArgs = InferredOptionTypes<typeof calendarOptions>;

export const calendarCommand: CommandModule<object, CalendarArgs> = {
  command: 'calendar',
  describe: 'print business days and Same Day windows (Central Time)',
  builder: (yargs: Argv) => yargs.options(calendarOptions),
  handler: async (args) => {
    const { calendarAction } = await import('../actions/calendar.js');
    process.exitCode = calendarAction(args);
  },
};
