/**
 * `GET /console`: the admin console (apps/admin-console), same origin as the admin API.
 *
 * The page is a built single-page app: hashed files under /console/assets/ and one
 * index.html for every other /console path (the app routes in the browser). Each
 * index.html gets a fresh nonce that only Mantine's <style> elements carry; scripts come
 * from 'self' alone (no inline script), and the page may talk to its own origin only.
 * The admin key never reaches the server through this page except as the API's bearer
 * credential: the page keeps it in sessionStorage.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

export const CONSOLE_PATH = '/console';
const NONCE_PLACEHOLDER = '__CSP_NONCE__';

/** The policy for one page load. */
export function consolePolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const COMMON_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), clipboard-write=(self)',
};

interface Reply {
  code(status: number): Reply;
  header(name: string, value: string): Reply;
  send(body: unknown): void;
}

/** Registers /console on the Fastify instance under the Nest app; a missing build answers 503. */
export async function registerConsoleSite(app: NestFastifyApplication, dir: string | null): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const indexFile = dir === null ? null : join(dir, 'index.html');
  const template = indexFile !== null && existsSync(indexFile) ? readFileSync(indexFile, 'utf8') : null;

  const servePage = async (_request: unknown, reply: Reply) => {
    for (const [name, value] of Object.entries(COMMON_HEADERS)) reply.header(name, value);
    reply.header('Cache-Control', 'no-store');
    if (template === null) {
      reply
        .code(503)
        .header('Content-Type', 'application/json; charset=utf-8')
        .send({ error: 'temporarily_unavailable', error_description: 'the admin console is not built: run npm run build' });
      return;
    }
    const nonce = randomBytes(18).toString('base64');
    reply
      .header('Content-Security-Policy', consolePolicy(nonce))
      .header('Content-Type', 'text/html; charset=utf-8')
      .send(template.replaceAll(NONCE_PLACEHOLDER, nonce));
  };

  if (template !== null && dir !== null) {
    await fastify.register(fastifyStatic, {
      root: join(dir, 'assets'),
      prefix: `${CONSOLE_PATH}/assets/`,
      decorateReply: false,
      index: false,
      wildcard: true,
      // File names carry their content hash: a file never changes under its name.
      immutable: true,
      maxAge: 31_536_000_000,
      setHeaders: (response: { setHeader(name: string, value: string): void }) => {
        for (const [name, value] of Object.entries(COMMON_HEADERS)) response.setHeader(name, value);
        response.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
      },
    });
  }
  fastify.get(CONSOLE_PATH, servePage);
  fastify.get(`${CONSOLE_PATH}/*`, servePage);
}
