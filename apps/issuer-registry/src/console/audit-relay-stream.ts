/**
 * One relayed GET to the audit API, its answer streamed back as it comes: a full verify of
 * a long chain answers NDJSON progress for minutes, so there is no total limit. Connecting
 * must finish within `connectTimeoutMs`; the answer may pause (before its head, or between
 * two chunks) at most `idleTimeoutMs`, after which the request is cut; at most
 * `maxBytes` are passed on.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline, Transform, type Readable } from 'node:stream';
import type { AuditRelayLimits } from '../config/registry.config';

export interface RelayedAnswer {
  status: number;
  contentType: string | undefined;
  /** The answer's bytes; errors (and ends the relay) on a pause past the idle limit or past `maxBytes`. */
  body: Readable;
}

/** Sends the GET; resolves at the answer's head, rejects if there is none (refused, timed out). */
export function openAuditStream(target: URL, headers: Record<string, string>, limits: AuditRelayLimits & { maxBytes: number }): Promise<RelayedAnswer> {
  return new Promise((resolve, reject) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send(target, { method: 'GET', headers });
    let connectTimer: NodeJS.Timeout | undefined;
    outgoing.on('socket', (socket) => {
      // A kept-alive socket is connected already.
      if (!socket.connecting) return;
      connectTimer = setTimeout(() => outgoing.destroy(new Error('connect timeout')), limits.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(connectTimer));
    });
    // Socket inactivity: the wait for the head and every pause within the body.
    outgoing.setTimeout(limits.idleTimeoutMs, () => outgoing.destroy(new Error('the audit API paused too long')));
    outgoing.on('error', (error) => {
      clearTimeout(connectTimer);
      reject(error);
    });
    outgoing.on('response', (answer: IncomingMessage) => {
      clearTimeout(connectTimer);
      const body = byteLimit(limits.maxBytes);
      // Either side failing ends both: a client that goes away stops the audit API's walk.
      pipeline(answer, body, () => outgoing.destroy());
      resolve({ status: answer.statusCode ?? 502, contentType: answer.headers['content-type'], body });
    });
    outgoing.end();
  });
}

function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(new Error('the audit API answer is too large'));
      else done(null, chunk);
    },
  });
}
