/**
 * The `destinationEmail` column (SPEC "Input CSV"): a payee named by email, whose destination
 * funding source is found through Dwolla when the row is sent (src/batch/resolve-emails.ts).
 * Until then the row's destination is its email identity, `email:` and the lower-cased trimmed
 * email: what its key, its duplicate check and the plan digest see, so that they are the same
 * with or without a network.
 */

const MAX_EMAIL_LENGTH = 254;
/** One `@`, something on each side, no spaces, a dot inside the domain. */
const PLAUSIBLE_EMAIL = /^[^\s@]+@[^\s@.][^\s@]*\.[^\s@]*[^\s@.]$/;

/** Whether `text` (trimmed) reads as an email: one `@`, no spaces, a dot in the domain, at most 254 characters. */
export function isPlausibleEmail(text: string): boolean {
  return text.length <= MAX_EMAIL_LENGTH && PLAUSIBLE_EMAIL.test(text);
}

const EMAIL_IDENTITY_PREFIX = 'email:';

/** The destination an email-only row has until it is resolved: `email:` and the lower-cased email. */
export function emailIdentity(email: string): string {
  return `${EMAIL_IDENTITY_PREFIX}${email.trim().toLowerCase()}`;
}

/** Whether a destination is still an email identity (not yet resolved to a funding source). */
export function isEmailIdentity(destinationId: string): boolean {
  return destinationId.startsWith(EMAIL_IDENTITY_PREFIX);
}
