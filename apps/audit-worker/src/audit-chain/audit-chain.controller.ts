import { PassThrough } from 'node:stream';
import { Controller, Get, Header, Headers, Inject, Query, Res, UseGuards } from '@nestjs/common';
import { RequestLogger } from '@trust-broker/service-kit/logging';
import { ApiError, invalidRequest } from '@trust-broker/service-kit/errors';
import { AdminGuard } from '../http/admin.guard';
import { SigningKeysService, type PublicSigningKey } from '../signing-keys/signing-keys.service';
import { ChainVerifier } from './chain-verifier';

export const NDJSON = 'application/x-ndjson';
const PROGRESS_EVERY_MS = 1000;
/**
 * A plain (JSON) verify still walking after this long answers its head, then a space this
 * often until the object: proxies cut answers that stay silent (the console's relay after
 * 30 s), and JSON allows whitespace before the value.
 */
export const PLAIN_KEEPALIVE_MS = 5000;
/**
 * Walks at once in this process: each holds one of the pool's connections (and a snapshot) for
 * as long as it runs, and the chain writer needs the others.
 */
export const MAX_CONCURRENT_WALKS = 2;

interface VerifyReply {
  header(name: string, value: string): VerifyReply;
  send(body: unknown): void;
  raw: { on(event: 'close', listener: () => void): unknown };
  /** Fastify's reply knows its request (the id its log lines carry). */
  request?: { id: unknown };
}

/** `full` (`true` or `false`, at most once): walk from the first row instead of the last verified checkpoint. */
export function parseVerifyQuery(query: Record<string, unknown>): { full: boolean } {
  const value = query.full;
  if (value === undefined || value === '') return { full: false };
  if (typeof value !== 'string') throw invalidRequest('full must be given at most once');
  if (value !== 'true' && value !== 'false') throw invalidRequest('full must be true or false');
  return { full: value === 'true' };
}

/** Whether the client asked for NDJSON progress lines (`Accept: application/x-ndjson`). */
export function wantsProgress(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some((range) => range.split(';')[0]!.trim().toLowerCase() === NDJSON);
}

@Controller('v1/audit')
export class AuditChainController {
  private readonly logger = new RequestLogger('AuditVerify');
  private walks = 0;
  /** PLAIN_KEEPALIVE_MS; shorter in tests. */
  keepaliveMs = PLAIN_KEEPALIVE_MS;

  constructor(
    @Inject(ChainVerifier) private readonly verifier: ChainVerifier,
    @Inject(SigningKeysService) private readonly signingKeys: SigningKeysService,
  ) {}

  /**
   * The plain answer is one JSON object. A walk that takes longer than `keepaliveMs` sends its
   * head (200) then, and a space every `keepaliveMs` before the object; if it fails after
   * that, the answer ends unfinished (never a 200 that parses). With
   * `Accept: application/x-ndjson` the answer is NDJSON: a `{"progress": {...}}` line about
   * every second while the walk runs, then the same object as the plain answer as the last
   * line (or `{"error", "error_description"}` if the walk failed after the answer began). A
   * client that goes away stops the walk. At most MAX_CONCURRENT_WALKS at once; one more is
   * 503 `temporarily_unavailable`.
   */
  @Get('verify')
  @UseGuards(AdminGuard)
  async verify(@Query() query: Record<string, unknown>, @Headers('accept') accept: string | undefined, @Res() reply: VerifyReply): Promise<void> {
    const { full } = parseVerifyQuery(query);
    if (this.walks >= MAX_CONCURRENT_WALKS) {
      throw new ApiError(503, 'temporarily_unavailable', `${MAX_CONCURRENT_WALKS} verifications are already running; try again when one has ended`, 'verify_busy', {
        'Retry-After': '10',
      });
    }
    this.walks += 1;
    try {
      await this.answer(full, accept, reply);
    } finally {
      this.walks -= 1;
    }
  }

  private async answer(full: boolean, accept: string | undefined, reply: VerifyReply): Promise<void> {
    const abort = new AbortController();
    let done = false;
    reply.raw.on('close', () => {
      if (!done) abort.abort();
    });
    try {
      if (wantsProgress(accept)) await this.progressAnswer(full, abort, reply);
      else await this.plainAnswer(full, abort, reply);
    } catch (error) {
      if (!abort.signal.aborted) throw error; // nobody is listening any more
    } finally {
      done = true;
    }
  }

  private async plainAnswer(full: boolean, abort: AbortController, reply: VerifyReply): Promise<void> {
    const walk = this.verifier.verify({ full, signal: abort.signal, request: reply.request });
    let timer: NodeJS.Timeout | undefined;
    const early = await Promise.race([
      walk,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, this.keepaliveMs, undefined);
      }),
    ]).finally(() => clearTimeout(timer));
    if (early !== undefined) {
      reply.header('Cache-Control', 'no-store').send(early);
      return;
    }
    const body = new PassThrough();
    reply.header('Content-Type', 'application/json; charset=utf-8').header('Cache-Control', 'no-store').send(body);
    body.write(' ');
    const beat = setInterval(() => body.write(' '), this.keepaliveMs);
    try {
      body.end(JSON.stringify(await walk));
    } catch (error) {
      if (!abort.signal.aborted) this.logger.error(reply.request, `verification failed: ${(error as Error).message}`);
      body.destroy(); // the status (200) is out: a broken answer is the only way left to say it failed
    } finally {
      clearInterval(beat);
    }
  }

  private async progressAnswer(full: boolean, abort: AbortController, reply: VerifyReply): Promise<void> {
    const lines = new PassThrough();
    reply.header('Content-Type', `${NDJSON}; charset=utf-8`).header('Cache-Control', 'no-store').send(lines);
    try {
      const report = await this.verifier.verify({
        full,
        signal: abort.signal,
        request: reply.request,
        progressEveryMs: PROGRESS_EVERY_MS,
        onProgress: (progress) => lines.write(`${JSON.stringify({ progress })}\n`),
      });
      lines.end(`${JSON.stringify(report)}\n`);
    } catch (error) {
      if (abort.signal.aborted) {
        lines.destroy();
      } else {
        this.logger.error(reply.request, `verification failed: ${(error as Error).message}`);
        lines.end(`${JSON.stringify({ error: 'server_error', error_description: 'the verification failed; see the audit-worker log' })}\n`);
      }
    }
  }

  /** The checkpoint keys (JWKS), public like any JWKS so outside verifiers can pin them. */
  @Get('keys')
  @Header('Cache-Control', 'no-store')
  async keys(): Promise<{ keys: PublicSigningKey[] }> {
    const trusted = await this.signingKeys.trustedKeys();
    return { keys: [...trusted.values()].map((entry) => entry.jwk) };
  }
}
