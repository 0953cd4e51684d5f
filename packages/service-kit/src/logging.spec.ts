import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { createServiceLogger, PinoNestLogger, RequestLogger, useLogger } from './logging';

/** A stream that keeps what is written; `isTTY` as a terminal would say. */
function memory(isTTY = false): Writable & { text(): string; isTTY: boolean } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  }) as Writable & { text(): string; isTTY: boolean };
  stream.text = () => text;
  stream.isTTY = isTTY;
  return stream;
}

const ESC = String.fromCharCode(27);

describe('LOG_FORMAT=json', () => {
  it('writes one JSON object per line with time, level, msg, service, and request_id on a line about a request', () => {
    const out = memory();
    const logger = useLogger(createServiceLogger({ service: 'token-service', level: 'info', format: 'json' }, out));
    logger.info('outside');
    const requestLines = new RequestLogger('Pipeline');
    requestLines.warn({ id: 'req-1' }, 'about a request');
    requestLines.log('req-3', 'named by its id');
    requestLines.error(undefined, 'no request');
    requestLines.debug({ id: 'req-4' }, 'below the level');
    logger.debug('below the level');
    const lines = out.text().trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      { time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), level: 'info', service: 'token-service', msg: 'outside' },
      { time: expect.any(String), level: 'warn', service: 'token-service', context: 'Pipeline', request_id: 'req-1', msg: 'about a request' },
      { time: expect.any(String), level: 'info', service: 'token-service', context: 'Pipeline', request_id: 'req-3', msg: 'named by its id' },
      { time: expect.any(String), level: 'error', service: 'token-service', context: 'Pipeline', msg: 'no request' },
    ]);
  });

  it('redacts credentials if an object holding them is ever logged, and keeps only name, message, code and stack of an error', () => {
    const out = memory();
    const logger = createServiceLogger({ service: 's', level: 'info', format: 'json' }, out);
    const error = Object.assign(new Error('query failed'), { code: '23505', parameters: ['param-secret'] });
    logger.error({ err: error, headers: { authorization: 'Bearer header-secret', dpop: 'proof-secret' }, body: { client_secret: 'body-secret', assertion: 'jwt-secret' } }, 'oops');
    const text = out.text();
    for (const secret of ['header-secret', 'proof-secret', 'body-secret', 'jwt-secret', 'param-secret']) expect(text).not.toContain(secret);
    expect(JSON.parse(text)).toMatchObject({ err: { type: 'Error', message: 'query failed', code: '23505', stack: expect.stringContaining('query failed') } });
  });
});

describe('LOG_FORMAT=pretty', () => {
  it('writes one readable line per entry, without colour codes when not on a terminal', () => {
    const out = memory(false);
    const logger = createServiceLogger({ service: 'token-service', level: 'info', format: 'pretty' }, out);
    logger.info({ request_id: 'req-2', method: 'POST', route: '/oauth2/token', status: 200, duration_ms: 3.2 }, 'POST /oauth2/token 200 3.2 ms');
    expect(out.text()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: POST \/oauth2\/token 200 3\.2 ms \{"request_id":"req-2"\}\n$/);
    expect(out.text()).not.toContain(ESC);
  });

  it('colours on a terminal', () => {
    const out = memory(true);
    createServiceLogger({ service: 's', level: 'info', format: 'pretty' }, out).info('hello');
    expect(out.text()).toContain(ESC);
  });
});

describe("Nest's logger", () => {
  it('writes through pino: context, levels, stacks; Nest start-up chatter only at debug', () => {
    const out = memory();
    useLogger(createServiceLogger({ service: 's', level: 'info', format: 'json' }, out));
    new Logger('TrustCache').log('trust loaded');
    new Logger('HttpErrorFilter').error('boom\n    at somewhere (file.ts:1:1)');
    new Logger('RoutesResolver').log('Mapped {/x, GET} route');
    new PinoNestLogger(createServiceLogger({ service: 's', level: 'info', format: 'json' }, out)).verbose('too detailed');
    const lines = out.text().trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', context: 'TrustCache', msg: 'trust loaded' }),
      expect.objectContaining({ level: 'error', context: 'HttpErrorFilter', msg: expect.stringContaining('boom') }),
    ]);
  });
});
