/**
 * Enforces: `htu` is the target URI of the request that carries the proof, ignoring any
 * query and fragment parts (RFC 9449 §4.3 step 9), after syntax- and scheme-based
 * normalization (RFC 3986 §6.2.2, §6.2.3: scheme and host in lower case, percent-encoding
 * case, a default port dropped, an empty path as `/`), as WHATWG URL parsing does.
 */
import { reject } from '../assertion-kind';

/** Longest accepted `htu`, in characters. */
export const MAX_HTU_LENGTH = 2048;

export function checkDpopUri(claims: Record<string, unknown>, requestUrl: string): void {
  const htu = claims.htu;
  const expected = comparableUri(requestUrl);
  if (expected === undefined) throw new TypeError('The request URL to check a DPoP proof against is not an absolute http(s) URL');
  if (typeof htu !== 'string' || htu.length > MAX_HTU_LENGTH || comparableUri(htu) !== expected) {
    throw reject('dpop', 'dpop_htu_mismatch', `The DPoP proof's "htu" must be "${expected}"`);
  }
}

/** `scheme://authority/path` of an absolute http(s) URI, normalized; undefined for anything else. */
function comparableUri(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return `${url.protocol}//${url.host}${url.pathname}`;
}
