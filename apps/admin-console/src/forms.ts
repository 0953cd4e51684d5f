/** Turning form text into API values, and API errors into messages beside fields. */
import { useState } from 'react';
import { ApiError } from './api';

export type FieldErrors = Record<string, string>;

type FormValues = Record<string, string | boolean | string[]>;
type KeysOf<F, V> = { [K in keyof F]: F[K] extends V ? K : never }[keyof F] & string;

/**
 * A form's values and the errors shown beside its fields; changing a field clears its
 * error. `text(name)` and `check(name)` are the props that bind an input or a checkbox,
 * with the error `errorOf(name)` finds (by default the form's own).
 */
export function useFormState<F extends FormValues>(initial: F | (() => F)) {
  const [form, setForm] = useState<F>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const set = <K extends keyof F & string>(name: K, value: F[K]) => {
    setForm((current) => ({ ...current, [name]: value }));
    setErrors(({ [name]: _gone, ...rest }) => rest);
  };
  const bind = (errorOf: (name: string) => string | null = (name) => errors[name] ?? null) => ({
    text: (name: KeysOf<F, string>) => ({
      value: form[name] as string,
      onChange: (event: { currentTarget: { value: string } }) => set(name, event.currentTarget.value as F[typeof name]),
      error: errorOf(name),
    }),
    check: (name: KeysOf<F, boolean>) => ({
      checked: form[name] as boolean,
      onChange: (event: { currentTarget: { checked: boolean } }) => set(name, event.currentTarget.checked as F[typeof name]),
      error: errorOf(name),
    }),
  });
  return { form, set, errors, setErrors, bind };
}

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

/**
 * JSON typed by a person into `field`: its value goes into `body`, or the parse error
 * into `problems`, to be shown beside the field (this is not an API rule).
 */
export function putJsonField(text: string, field: string, body: Record<string, unknown>, problems: FieldErrors): void {
  try {
    body[field] = JSON.parse(text);
  } catch (error) {
    problems[field] = `${field}: not valid JSON (${error instanceof Error ? error.message : String(error)})`;
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

/**
 * Sending a form to the admin API: `submit(problems, send)` shows problems found before
 * any request (JSON that does not parse) beside their fields and stops there; otherwise
 * it runs `send`, `saving` meanwhile, and places an API error beside the field of
 * `fields` it names, or above the form as `general`.
 */
export function useSubmit(fields: readonly string[], setErrors: (errors: FieldErrors) => void) {
  const [general, setGeneral] = useState<unknown>(undefined);
  const [saving, setSaving] = useState(false);
  const submit = async (problems: FieldErrors, send: () => Promise<void>) => {
    setGeneral(undefined);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setSaving(true);
    try {
      await send();
    } catch (error) {
      const placed = placeError(error, fields);
      setErrors(placed.fieldErrors);
      setGeneral(placed.general);
    } finally {
      setSaving(false);
    }
  };
  return { general, saving, submit };
}
