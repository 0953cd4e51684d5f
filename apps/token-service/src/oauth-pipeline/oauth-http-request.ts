/** The parts of the Fastify request the OAuth endpoints read (the pipeline has no Fastify types). */
export interface OAuthHttpRequest {
  id: string;
  ip: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A header's value (the first, if it came more than once). */
export function headerOf(request: OAuthHttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
