/** Turning form text into API values, and API errors into messages beside fields. */
import { ApiError } from './api';

export type FieldErrors = Record<string, string>;

/** A list typed one per line or separated by commas. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

/** A space-separated list (scopes, audiences). */
export function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((value) => value !== '');
}

/** JSON typed by a person; a parse error is shown beside its field (this is not an API rule). */
export function parseJsonField(text: string, label: string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { problem: `${label}: not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/**
 * Where an API error goes: beside the field it names when the form has that field,
 * otherwise above the form.
 */
export function placeError(error: unknown, fields: readonly string[]): { fieldErrors: FieldErrors; general: unknown } {
  if (error instanceof ApiError && error.status === 400 || error instanceof ApiError && error.status === 409) {
    const field = error.field;
    if (field !== null && fields.includes(field)) return { fieldErrors: { [field]: error.description }, general: undefined };
  }
  return { fieldErrors: {}, general: error };
}
