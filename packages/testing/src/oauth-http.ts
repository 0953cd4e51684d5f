/** Speaks to the OAuth endpoints the way a client does: form POSTs, HTTP Basic, a chosen source address. */
import { request } from 'node:http';

/** The status, parsed JSON body (or `{ raw }` when it is not JSON) and headers of an answer. */
export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** POSTs `application/x-www-form-urlencoded` parameters (or a body already encoded). */
export async function postForm(url: string, parameters: Record<string, string> | string, headers: Record<string, string> = {}): Promise<TokenAnswer> {
  const body = typeof parameters === 'string' ? parameters : new URLSearchParams(parameters).toString();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return { status: response.status, body: parseBody(await response.text()), headers: response.headers };
}

/** RFC 6749 §2.3.1: id and secret form-urlencoded, then base64. */
export function basicAuthorization(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

/** POSTs a form from a given loopback source address (127.0.0.0/8 is all ours), for per-address limits. */
export function postFormFrom(localAddress: string, url: string, parameters: Record<string, string>, headers: Record<string, string> = {}): Promise<TokenAnswer> {
  const target = new URL(url);
  const body = new URLSearchParams(parameters).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', localAddress, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
          resolve({ status: res.statusCode ?? 0, body: parseBody(text), headers: responseHeaders });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function parseBody(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { raw: text };
  }
}
