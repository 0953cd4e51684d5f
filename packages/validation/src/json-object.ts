/**
 * Parses a JWS segment's JSON as an object and refuses duplicate member names at any
 * depth (RFC 7515 §4 and RFC 7519 §4: a JOSE header or claims set with duplicate names
 * MUST be rejected or take the last one; rejecting closes parser-differential tricks).
 */

export type JsonObjectResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; problem: 'invalid_json' | 'not_object' | 'duplicate_member' };

export function parseJsonObject(text: string): JsonObjectResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'invalid_json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'not_object' };
  if (hasDuplicateMember(text)) return { ok: false, problem: 'duplicate_member' };
  return { ok: true, value: value as Record<string, unknown> };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * Scans text that JSON.parse already accepted, so it only tracks nesting and strings:
 * inside an object, the string that starts a member is its name. String contents are
 * skipped with indexOf, which keeps the scan to a few microseconds per assertion.
 */
function hasDuplicateMember(text: string): boolean {
  const frames: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const end = findStringEnd(text, i);
      const frame = frames[frames.length - 1];
      if (expectName && frame) {
        const raw = text.slice(i + 1, end);
        const name = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (frame.has(name)) return true;
        frame.add(name);
      }
      expectName = false;
      i = end;
    } else if (code === OPEN_BRACE) {
      frames.push(new Set());
      expectName = true;
    } else if (code === OPEN_BRACKET) {
      frames.push(null);
      expectName = false;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      frames.pop();
      expectName = false;
    } else if (code === COMMA) {
      expectName = frames[frames.length - 1] != null;
    }
  }
  return false;
}

/** The index of the quote that closes the string opening at `start` (one not escaped by an odd run of backslashes). */
function findStringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return text.length;
}
