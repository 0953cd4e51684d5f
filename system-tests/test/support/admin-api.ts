/** The issuer-registry admin API (CONTRACT.md "Admin API"), as the tests use it (as in token-service's tests). */
export interface CreatedIssuer {
  id: string;
  issuer: string;
  [field: string]: unknown;
}

export interface CreatedClient {
  client_id: string;
  client_secret?: string;
  [field: string]: unknown;
}

export class AdminApi {
  constructor(
    private readonly baseUrl: string,
    private readonly adminApiKey: string,
  ) {}

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
