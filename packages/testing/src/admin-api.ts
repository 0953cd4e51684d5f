/** The issuer-registry admin API (CONTRACT.md "Admin API"), as the tests use it. */

/** An issuer as the admin API answers it; the tests read `id` and `issuer`. */
export interface CreatedIssuer {
  id: string;
  issuer: string;
  [field: string]: unknown;
}

/** A client as the admin API answers it; `client_secret` only when the answer shows a generated secret. */
export interface CreatedClient {
  client_id: string;
  client_secret?: string;
  [field: string]: unknown;
}

/** Calls the admin API at `baseUrl` with the admin bearer key. */
export class AdminApi {
  constructor(
    private readonly baseUrl: string,
    private readonly adminApiKey: string,
  ) {}

  /** Any call; answers status and JSON body (`{}` when empty), whatever the status. */
  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.adminApiKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** Like `request`, but throws unless the answer has `status`; resolves to the body. */
  async expect<T>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.request(method, path, body);
    if (answer.status !== status) {
      throw new Error(`${method} ${path}: expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    return answer.body as T;
  }

  createIssuer(body: Record<string, unknown>): Promise<CreatedIssuer> {
    return this.expect(201, 'POST', '/v1/issuers', body);
  }

  updateIssuer(id: string, patch: Record<string, unknown>): Promise<CreatedIssuer> {
    return this.expect(200, 'PATCH', `/v1/issuers/${id}`, patch);
  }

  createClient(body: Record<string, unknown>): Promise<CreatedClient> {
    return this.expect(201, 'POST', '/v1/clients', body);
  }

  updateClient(clientId: string, patch: Record<string, unknown>): Promise<CreatedClient> {
    return this.expect(200, 'PATCH', `/v1/clients/${encodeURIComponent(clientId)}`, patch);
  }

  revokeClientAssertion(clientId: string, target: { jti: string } | { kid: string }): Promise<unknown> {
    return this.expect(201, 'POST', `/v1/clients/${encodeURIComponent(clientId)}/assertion-revocations`, target);
  }
}
