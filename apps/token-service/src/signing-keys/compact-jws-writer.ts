/**
 * Writes the broker's compact JWS (RFC 7515 §7.1) into one buffer the signer keeps,
 * instead of the strings and buffers a concatenation leaves per token: the signing input
 * is signed where it lies, and the token is read out once, as a flat string. Signing is
 * synchronous, so no other request writes into the buffer meanwhile.
 */
import type { KeyObject } from 'node:crypto';
import { signJws, type BrokerSigningAlgorithm } from '@trust-broker/validation';

/** Room for a typical token at first; a larger one grows the buffer. */
const INITIAL_BYTES = 4096;
/** base64url of the longest signature the broker makes (RSA 4096: 512 octets). */
const MAX_SIGNATURE_CHARS = 683;
const DOT = 0x2e;

export interface JwsSigningKey {
  alg: BrokerSigningAlgorithm;
  privateKey: KeyObject;
  /** base64url of the protected header, followed by the `.` separator. */
  encodedHeaderPrefix: string;
}

export class CompactJwsWriter {
  private buffer = Buffer.allocUnsafe(INITIAL_BYTES);

  /** `header.payload.signature` for the payload's JSON. */
  write(key: JwsSigningKey, payloadJson: string): string {
    const headerChars = key.encodedHeaderPrefix.length;
    const payloadBytes = Buffer.byteLength(payloadJson);
    const inputChars = headerChars + Math.ceil((payloadBytes * 4) / 3);
    // The payload's octets wait past the room of the whole token, to be encoded in front of it.
    const rawAt = inputChars + 1 + MAX_SIGNATURE_CHARS;
    if (this.buffer.length < rawAt + payloadBytes) this.buffer = Buffer.allocUnsafe(Math.max(rawAt + payloadBytes, 2 * this.buffer.length));
    const buffer = this.buffer;
    buffer.write(payloadJson, rawAt, payloadBytes, 'utf8');
    buffer.write(key.encodedHeaderPrefix, 0, headerChars, 'latin1');
    buffer.write(buffer.toString('base64url', rawAt, rawAt + payloadBytes), headerChars, 'latin1');
    const signature = signJws(key.alg, key.privateKey, buffer.subarray(0, inputChars));
    buffer[inputChars] = DOT;
    const signatureChars = buffer.write(signature.toString('base64url'), inputChars + 1, 'latin1');
    return buffer.toString('latin1', 0, inputChars + 1 + signatureChars);
  }
}
