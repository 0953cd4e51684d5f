import { Body, Controller, Get, Module, Post, UseGuards } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAdminAuthGuard } from '../src/admin-auth';
import { invalidRequest } from '../src/errors';
import { createHttpApp } from '../src/http-app';
import { HealthModule, ReadinessRegistry } from '../src/health';

const ADMIN_KEY = 'a-very-long-admin-key-for-tests-0123456789';

@Controller()
class ProbeController {
  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return body;
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
    app = await createHttpApp(ProbeModule, { bodyLimit: 1024, logLevel: 'silent' });
    app.get(ReadinessRegistry).register('dependency', async () => {
      if (!healthy) throw new Error('unreachable');
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => app.close());

  const inject = (options: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: string }) =>
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
