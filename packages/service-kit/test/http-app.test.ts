import { Writable } from 'node:stream';
import { Body, Controller, Get, Module, Post, Req, UseGuards } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAdminAuthGuard } from '../src/admin-auth';
import { invalidRequest } from '../src/errors';
import { createHttpApp, listen } from '../src/http-app';
import { HealthModule, ReadinessRegistry } from '../src/health';
import { createServiceLogger, noteRequestClient, RequestLogger } from '../src/logging';

const ADMIN_KEY = 'a-very-long-admin-key-for-tests-0123456789';

const TRUSTED_PROXY = '10.1.2.3';

/** Every JSON line the app logs. */
const logLines: Record<string, unknown>[] = [];
const memory = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
    callback();
  },
});

@Controller()
class ProbeController {
  private readonly logger = new RequestLogger('Probe');

  @Post('echo')
  async echo(@Body() body: unknown, @Req() request: { id: string }): Promise<unknown> {
    // After the body was parsed and an await: the line still names its request.
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.logger.log(request, 'echoing');
    noteRequestClient(request, 'client-7');
    return body;
  }

  @Get('ip')
  ip(@Req() request: { ip: string }): { ip: string } {
    return { ip: request.ip };
  }

  @Get('boom')
  boom(): never {
    throw new Error('secret internal detail');
  }

  @Get('bad')
  bad(): never {
    throw invalidRequest('name: is required');
  }

  @Get('admin')
  @UseGuards(createAdminAuthGuard(ADMIN_KEY))
  admin(): { ok: true } {
    return { ok: true };
  }
}

@Module({ imports: [HealthModule], controllers: [ProbeController] })
class ProbeModule {}

describe('createHttpApp', () => {
  let app: NestFastifyApplication;
  let healthy = true;

  beforeAll(async () => {
    app = await createHttpApp(ProbeModule, {
      bodyLimit: 1024,
      logger: createServiceLogger({ service: 'probe', level: 'info', format: 'json' }, memory),
      trustProxy: [TRUSTED_PROXY, 'fd00::/8'],
    });
    app.get(ReadinessRegistry).register('dependency', async () => {
      if (!healthy) throw new Error('unreachable');
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => app.close());

  const inject = (options: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: string; remoteAddress?: string }) =>
    app.getHttpAdapter().getInstance().inject(options);

  it('answers 413 with a JSON error for a body over the limit', async () => {
    const res = await inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'a'.repeat(2000) }) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: 'invalid_request', error_description: 'request body too large' });
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"x":' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });

  it('answers 404 JSON for an unknown route', async () => {
    const res = await inject({ method: 'GET', url: '/nowhere' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
  });

  it('hides internal errors behind a generic 500', async () => {
    const res = await inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret internal detail');
    expect(res.json()).toEqual({ error: 'server_error', error_description: 'internal error' });
  });

  it('passes ApiErrors through with their description', async () => {
    const res = await inject({ method: 'GET', url: '/bad' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'invalid_request', error_description: 'name: is required' });
  });

  it.each([
    ['no credential', undefined],
    ['a wrong key', `Bearer ${ADMIN_KEY}x`],
    ['a non-bearer scheme', `Basic ${ADMIN_KEY}`],
  ])('answers 401 to the admin route with %s', async (_label, authorization) => {
    const res = await inject({ method: 'GET', url: '/admin', headers: authorization ? { authorization } : {} });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('lets the right admin key through', async () => {
    const res = await inject({ method: 'GET', url: '/admin', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(res.statusCode).toBe(200);
  });

  describe('TRUST_PROXY', () => {
    const ipOf = async (remoteAddress: string, forwardedFor?: string) =>
      (await inject({ method: 'GET', url: '/ip', remoteAddress, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} })).json().ip;

    it('ignores X-Forwarded-For from an address that is not a trusted proxy', async () => {
      expect(await ipOf('198.51.100.7', '203.0.113.9')).toBe('198.51.100.7');
    });

    it('believes a trusted proxy: the rightmost address that is not a trusted proxy', async () => {
      expect(await ipOf(TRUSTED_PROXY, '203.0.113.9')).toBe('203.0.113.9');
      // A client forging the header in front of the proxy: its forged entry is left of its real address.
      expect(await ipOf(TRUSTED_PROXY, '192.0.2.66, 203.0.113.9')).toBe('203.0.113.9');
      // Through two trusted proxies (one in a CIDR).
      expect(await ipOf(TRUSTED_PROXY, '203.0.113.9, fd00::17')).toBe('203.0.113.9');
      expect(await ipOf(TRUSTED_PROXY)).toBe(TRUSTED_PROXY);
    });
  });

  it('serves healthz, readyz (following its checks) and metrics', async () => {
    expect((await inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    healthy = false;
    const notReady = await inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().checks.dependency).toContain('unreachable');
    healthy = true;
    const metrics = await inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('process_cpu_user_seconds_total');
  });
});

describe('logs (LOG_FORMAT json)', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createHttpApp(ProbeModule, { logger: createServiceLogger({ service: 'probe', level: 'info', format: 'json' }, memory) });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => app.close());

  it('one access line per request, and the handler lines carry the request_id; no header or body value', async () => {
    logLines.length = 0;
    // Over a real socket, as in production (inject() does not parse a body the same way).
    const url = await listen(app, 0, '127.0.0.1');
    const res = await fetch(`${url}/echo?client_secret=in-the-query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer header-secret', 'x-request-id': 'req-42' },
      body: JSON.stringify({ assertion: 'body-secret' }),
    });
    expect(res.status).toBe(201);
    const handlerLine = logLines.find((line) => line.msg === 'echoing');
    expect(handlerLine).toMatchObject({ level: 'info', service: 'probe', context: 'Probe', request_id: 'req-42' });
    expect(typeof handlerLine!.time).toBe('string');
    const access = logLines.filter((line) => line.route === '/echo');
    expect(access).toEqual([
      expect.objectContaining({ level: 'info', service: 'probe', request_id: 'req-42', method: 'POST', route: '/echo', status: 201, client_id: 'client-7', msg: expect.stringMatching(/^POST \/echo 201 [\d.]+ ms$/) }),
    ]);
    expect(typeof access[0]!.duration_ms).toBe('number');
    const text = JSON.stringify(logLines);
    for (const secret of ['header-secret', 'body-secret', 'in-the-query']) expect(text).not.toContain(secret);
  });

  it('an unknown route is logged without its path, a 500 at level error with the stack and request_id', async () => {
    logLines.length = 0;
    await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/nowhere/eyJhbGciOi.secret-looking' });
    await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'req-boom' } });
    expect(logLines.find((line) => line.status === 404)).toMatchObject({ route: null, msg: expect.stringMatching(/^GET \(no route\) 404 /) });
    expect(JSON.stringify(logLines)).not.toContain('secret-looking');
    expect(logLines.find((line) => line.status === 500)).toMatchObject({ level: 'error', request_id: 'req-boom', route: '/boom' });
    expect(logLines.find((line) => line.context === 'HttpErrorFilter')).toMatchObject({ level: 'error', request_id: 'req-boom', msg: expect.stringContaining('secret internal detail') });
  });

  it('probes (healthz, readyz, metrics) are logged at debug, below the default level', async () => {
    logLines.length = 0;
    for (const url of ['/healthz', '/readyz', '/metrics']) await app.getHttpAdapter().getInstance().inject({ method: 'GET', url });
    await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/bad' });
    expect(logLines.map((line) => line.route)).toEqual(['/bad']);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored', async () => {
    const res = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/ip', remoteAddress: TRUSTED_PROXY, headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.json()).toEqual({ ip: TRUSTED_PROXY });
  });
});
