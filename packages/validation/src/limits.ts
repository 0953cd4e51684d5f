/** Size limits of the engine (CONTRACT.md: an assertion over 16,384 bytes is 400 invalid_request). */

/** Largest accepted assertion, in bytes of its UTF-8 encoding. */
export const MAX_ASSERTION_BYTES = 16_384;

/** Longest accepted `jti`, in characters. */
export const MAX_JTI_LENGTH = 256;

/** Longest accepted `kid` header, in characters. */
export const MAX_KID_LENGTH = 256;
