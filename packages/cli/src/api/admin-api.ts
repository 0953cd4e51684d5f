/**
 * Calls to the admin API (issuer-registry) and the audit API (audit-worker), both
 * behind `Authorization: Bearer <ADMIN_API_KEY>`. Lists follow `next_cursor`.
 */
import { UsageError } from '../cli.errors';
import { joinUrl, sendApiRequest, sendNdjsonRequest, type ApiRequest } from './api-client';

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type Query = Record<string, string | number | undefined>;

const MAX_PAGES = 1000;

export class AdminApi {
  constructor(
    private readonly baseUrl: string,
    private readonly adminKey: string | undefined,
  ) {}

  private credential(): string {
    if (!this.adminKey) {
      throw new UsageError(
        'no admin key: pass --admin-key, set TRUST_BROKER_ADMIN_KEY (or ADMIN_API_KEY), or run where `npm start` wrote .data/local-secrets.json',
      );
    }
    return this.adminKey;
  }

  async call<T>(method: ApiRequest['method'], path: string, options: { json?: unknown; query?: Query } = {}): Promise<T> {
    const { body } = await sendApiRequest<T>({
      method,
      url: joinUrl(this.baseUrl, path, options.query),
      bearer: this.credential(),
      ...(options.json !== undefined ? { json: options.json } : {}),
    });
    return body;
  }

  /** A GET whose answer may stream NDJSON lines (each passed to `onLine`); answers the last line. */
  async stream<T>(path: string, query: Query, onLine: (value: unknown) => void): Promise<T> {
    const { body } = await sendNdjsonRequest<T>({ method: 'GET', url: joinUrl(this.baseUrl, path, query), bearer: this.credential() }, onLine);
    return body;
  }

  /** One page, or every page when `all` is set. */
  async list<T>(path: string, query: Query, all: boolean): Promise<Page<T>> {
    const first = await this.call<Page<T>>('GET', path, { query });
    if (!all) return first;
    const items = [...first.items];
    let cursor = first.next_cursor;
    for (let page = 1; cursor !== null && page < MAX_PAGES; page += 1) {
      const next = await this.call<Page<T>>('GET', path, { query: { ...query, cursor } });
      items.push(...next.items);
      cursor = next.next_cursor;
    }
    return { items, next_cursor: cursor };
  }
}
