/**
 * Enforces: a party registry that cannot be read fails the request as
 * `temporarily_unavailable` (503), never as an unknown party: the caller may try again,
 * and an outage never reads as a refusal of its credentials.
 */
import { AssertionError } from '../errors';

/** The party `find` answers (undefined or null when there is none); a failure of `find` is `unavailable`. */
export async function lookUpParty<P>(find: () => P | undefined | null | Promise<P | undefined | null>, unavailable: string): Promise<P | undefined> {
  try {
    return (await find()) ?? undefined;
  } catch (cause) {
    throw new AssertionError('temporarily_unavailable', 'party_lookup_failed', unavailable, { cause });
  }
}
