/**
 * The admin API's trusted issuers and clients as JSON (CONTRACT.md, "Admin API"): the
 * registry tables' rows (`registry-schema.ts`) with their times as RFC 3339 strings.
 * issuer-registry's presenters produce them and the admin console reads them, so a
 * column added to a row reaches both without a third copy of the shape.
 */
import type { ClientRow, IssuerRow } from './registry-schema';

/** A row as the API writes it: `Date` columns become RFC 3339 strings, null stays null. */
export type AsJson<Row> = {
  [K in keyof Row]: Row[K] extends Date ? string : Row[K] extends Date | null ? string | null : Row[K];
};

/** `GET /v1/issuers/{id}` and each item of `GET /v1/issuers`: `accepted_audiences` defaults to `[BROKER_ISSUER]`. */
export type IssuerResource = AsJson<Omit<IssuerRow, 'accepted_audiences'>> & { accepted_audiences: string[] };

/** `GET /v1/clients/{client_id}`: never its secret; `introspection_audiences` defaults to `[client_id]`. */
export type ClientResource = AsJson<Omit<ClientRow, 'secret_ciphertext' | 'introspection_audiences'>> & { introspection_audiences: string[] };

/** `GET /v1/issuers` and `GET /v1/clients`: `next_cursor` is null on the last page. */
export interface ResourcePage<T> {
  items: T[];
  next_cursor: string | null;
}
