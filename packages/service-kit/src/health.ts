/**
 * `GET /healthz` (alive: never depends on a dependency), `GET /readyz` (every required
 * dependency answers; an optional one that does not is reported, status `degraded`, and
 * the process stays ready because it can still serve) and `GET /metrics` (Prometheus
 * text), without credentials, on every service.
 */
import { Controller, Get, Header, Injectable, Module, Res } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';

export type ReadinessCheck = () => Promise<void>;

export interface ReadinessOptions {
  /** false: the process still serves without it (reported, never makes it unready). Default true. */
  required?: boolean;
}

@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly optional = new Set<string>();

  register(name: string, check: ReadinessCheck, options: ReadinessOptions = {}): void {
    this.checks.set(name, check);
    if (options.required === false) this.optional.add(name);
    else this.optional.delete(name);
  }

  /** Whether a failing check of this name leaves the process ready. */
  isOptional(name: string): boolean {
    return this.optional.has(name);
  }

  async run(timeoutMs = 2000): Promise<Record<string, string>> {
    const results: Record<string, string> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
            }),
          ]);
          results[name] = 'ok';
        } catch (error) {
          results[name] = `down: ${(error as Error).message}`;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return results;
  }
}

interface Reply {
  status(code: number): Reply;
  header(name: string, value: string): Reply;
  send(body: unknown): void;
}

let defaultMetricsStarted = false;

@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessRegistry) {
    if (!defaultMetricsStarted) {
      collectDefaultMetrics();
      defaultMetricsStarted = true;
    }
  }

  @Get('healthz')
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() reply: Reply): Promise<void> {
    const checks = await this.readiness.run();
    const failing = Object.keys(checks).filter((name) => checks[name] !== 'ok');
    const ready = failing.every((name) => this.readiness.isOptional(name));
    const status = !ready ? 'not_ready' : failing.length > 0 ? 'degraded' : 'ready';
    reply.status(ready ? 200 : 503).header('Cache-Control', 'no-store').send({ status, checks });
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metrics(@Res() reply: Reply): Promise<void> {
    reply.header('Content-Type', register.contentType).send(await register.metrics());
  }
}

@Module({
  controllers: [HealthController],
  providers: [ReadinessRegistry],
  exports: [ReadinessRegistry],
})
export class HealthModule {}
