import { HealthController, ReadinessRegistry } from './health';

async function readyz(registry: ReadinessRegistry): Promise<{ code: number; body: { status: string; checks: Record<string, string> } }> {
  const controller = new HealthController(registry);
  let code = 0;
  let body: unknown;
  const reply = {
    status(value: number) {
      code = value;
      return reply;
    },
    header() {
      return reply;
    },
    send(value: unknown) {
      body = value;
    },
  };
  await controller.readyz(reply);
  return { code, body: body as { status: string; checks: Record<string, string> } };
}

const down = async () => {
  throw new Error('connection refused');
};
const up = async () => undefined;

describe('GET /readyz', () => {
  it('is ready when every check answers', async () => {
    const registry = new ReadinessRegistry();
    registry.register('redis', up);
    registry.register('postgres', up, { required: false });
    expect(await readyz(registry)).toEqual({ code: 200, body: { status: 'ready', checks: { redis: 'ok', postgres: 'ok' } } });
  });

  it('stays ready, degraded, when only an optional dependency is down', async () => {
    const registry = new ReadinessRegistry();
    registry.register('redis', up);
    registry.register('postgres', down, { required: false });
    expect(await readyz(registry)).toEqual({ code: 200, body: { status: 'degraded', checks: { redis: 'ok', postgres: 'down: connection refused' } } });
  });

  it('is not ready when a required dependency is down, whatever the optional ones say', async () => {
    const registry = new ReadinessRegistry();
    registry.register('redis', down);
    registry.register('postgres', up, { required: false });
    expect(await readyz(registry)).toMatchObject({ code: 503, body: { status: 'not_ready' } });
  });

  it('a check registered again as required is required', async () => {
    const registry = new ReadinessRegistry();
    registry.register('postgres', down, { required: false });
    registry.register('postgres', down);
    expect((await readyz(registry)).code).toBe(503);
  });

  it('/healthz answers whatever the dependencies do', () => {
    const registry = new ReadinessRegistry();
    registry.register('postgres', down);
    expect(new HealthController(registry).healthz()).toEqual({ status: 'ok' });
  });
});
