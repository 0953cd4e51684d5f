/**
 * The console's audit relay streams: a full verify of a long chain answers NDJSON progress
 * for longer than any fixed limit, so the relay passes each chunk on as it comes and only
 * a pause (AUDIT_RELAY_IDLE_TIMEOUT_MS, small here) ends it. A stub audit API plays the
 * slow answers; the registry is the real one.
 */
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_KEY, startRegistry, type RegistryHarness } from './support/registry-harness';

jest.setTimeout(120_000);

const IDLE_MS = 400;
const NDJSON = 'application/x-ndjson';

describe('the audit relay streams long answers', () => {
  let registry: RegistryHarness;
  let audit: Server;
  let play: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  const seen: Array<{ url: string; accept: string | undefined; closedEarly: Promise<boolean> }> = [];

  beforeAll(async () => {
    audit = createServer((request, response) => {
      const closedEarly = new Promise<boolean>((resolve) => response.on('close', () => resolve(!response.writableFinished)));
      seen.push({ url: request.url ?? '', accept: request.headers.accept, closedEarly });
      void play(request, response);
    });
    await new Promise<void>((resolve) => audit.listen(0, '127.0.0.1', resolve));
    registry = await startRegistry('relay-stream', {
      AUDIT_API_URL: `http://127.0.0.1:${(audit.address() as AddressInfo).port}`,
      AUDIT_RELAY_CONNECT_TIMEOUT_MS: '2000',
      AUDIT_RELAY_IDLE_TIMEOUT_MS: String(IDLE_MS),
    });
  });

  afterAll(async () => {
    await registry?.close();
    audit?.closeAllConnections();
    await new Promise((resolve) => audit?.close(resolve));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  const verify = (signal?: AbortSignal) =>
    fetch(`${registry.url}/v1/audit/verify?full=true`, { headers: { authorization: `Bearer ${ADMIN_KEY}`, accept: NDJSON }, ...(signal ? { signal } : {}) });

  /** NDJSON progress: a line every `everyMs`, `lines` times, then the report; `ended` says when it is all sent. */
  function progress(lines: number, everyMs: number, ended: { at?: number }) {
    return async (_request: IncomingMessage, response: ServerResponse) => {
      response.writeHead(200, { 'content-type': `${NDJSON}; charset=utf-8` });
      for (let i = 1; i <= lines && !response.destroyed; i += 1) {
        response.write(`${JSON.stringify({ progress: { walked: i * 1000 } })}\n`);
        await sleep(everyMs);
      }
      response.end(`${JSON.stringify({ intact: true, checked: lines * 1000, broken_at: null, reason: null })}\n`);
      ended.at = Date.now();
    };
  }

  it('relays a progress answer lasting many times the idle limit whole, each line as it comes, with the caller Accept', async () => {
    const ended: { at?: number } = {};
    play = progress(12, 150, ended);
    const started = Date.now();
    const response = await verify();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(`${NDJSON}; charset=utf-8`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let firstChunkAt: number | undefined;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      firstChunkAt ??= Date.now();
      text += decoder.decode(chunk.value, { stream: true });
    }
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(13);
    expect(lines.slice(0, 12).map((line) => (line.progress as { walked: number }).walked)).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) * 1000));
    expect(lines[12]).toEqual({ intact: true, checked: 12_000, broken_at: null, reason: null });
    // Longer than the limit a total timeout would have had; the first line came long before the end.
    expect(Date.now() - started).toBeGreaterThan(4 * IDLE_MS);
    expect(firstChunkAt!).toBeLessThan(ended.at! - 1000);
    expect(seen.map(({ url, accept }) => ({ url, accept }))).toEqual([{ url: '/v1/audit/verify?full=true', accept: NDJSON }]);
  });

  it('cuts an answer that pauses longer than the idle limit, and ends the request to the audit API', async () => {
    play = async (_request, response) => {
      response.writeHead(200, { 'content-type': `${NDJSON}; charset=utf-8` });
      response.write(`${JSON.stringify({ progress: { walked: 1000 } })}\n`);
      await sleep(IDLE_MS * 5);
      if (!response.destroyed) response.end(`${JSON.stringify({ intact: true, checked: 1000, broken_at: null, reason: null })}\n`);
    };
    const response = await verify();
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(await seen[0]!.closedEarly).toBe(true);
  });

  it('answers 503 temporarily_unavailable when the answer does not begin within the idle limit', async () => {
    play = async (_request, response) => {
      await sleep(IDLE_MS * 5);
      if (!response.destroyed) response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    };
    const response = await registry.call('GET', '/v1/audit/verify');
    expect(response.status).toBe(503);
    expect(response.body.error).toBe('temporarily_unavailable');
    expect(response.headers.get('retry-after')).not.toBeNull();
    expect(seen.map(({ accept }) => accept)).toEqual(['application/json']);
  });

  it('stops the walk when the caller goes away: the request to the audit API ends with it', async () => {
    play = progress(40, 100, {});
    // node:http, so that going away closes the connection (fetch may keep it for reuse).
    const caller = get(`${registry.url}/v1/audit/verify?full=true`, { headers: { authorization: `Bearer ${ADMIN_KEY}`, accept: NDJSON } });
    const answer = await new Promise<IncomingMessage>((resolve, reject) => caller.on('response', resolve).on('error', reject));
    expect(answer.statusCode).toBe(200);
    await new Promise((resolve) => answer.once('data', resolve));
    caller.on('error', () => undefined);
    caller.destroy();
    expect(await seen[0]!.closedEarly).toBe(true);
  });
});
