/**
 * Exit codes of the commands (SPEC "Exit codes"). A run's comes from its rows and is carried in
 * summary.json (and plan.json); src/cli/exit-codes.ts maps the errors that end a command early.
 */
export const EXIT = { ok: 0, attention: 1, usage: 2, incomplete: 3, locked: 4 } as const;
