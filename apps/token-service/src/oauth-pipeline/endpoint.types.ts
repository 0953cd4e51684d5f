/**
 * What an OAuth endpoint is to the pipeline (oauth-endpoint-pipeline.ts): a table of small
 * named steps that run in order on one context, then an answer built from that context.
 */
import type { AuthenticatedClient, ClientEndpoint } from '../client-auth/client-auth.types';
import type { FormLists, FormParameters } from '../oauth/form-body';
import type { OAuthErrorCode } from '../oauth/oauth-error';
import type { ReplayLedger } from '../replay/replay-ledger';
import type { OAuthHttpRequest } from './oauth-http-request';
import type { RequestAudit } from './request-audit';

export type EndpointType = ClientEndpoint;

/** One request's state, filled in step by step. */
export interface EndpointContext {
  readonly endpoint: EndpointType;
  readonly request: OAuthHttpRequest;
  /** Records the request's `jti`s (client and grant assertions), so that a failure gives them back. */
  readonly replayGuard: ReplayLedger;
  readonly startedAt: bigint;
  /** The form body (readForm; empty before it). */
  parameters: FormParameters;
  /** Every value of the parameters the request may repeat (a token exchange's `audience`, `resource`). */
  lists: FormLists;
  /** The client that authenticated (or the public client that named itself), once known. */
  client?: AuthenticatedClient;
  /** What the request has learnt, for its one audit event. */
  readonly audit: RequestAudit;
}

/** A step: a named function that reads and fills the context, or throws to refuse the request. */
export type EndpointStep<C extends EndpointContext> = (context: C) => void | Promise<void>;

/**
 * An endpoint. Its context `C` adds only optional fields to EndpointContext, which its own
 * steps fill (the pipeline starts every request with the shared fields alone).
 */
export interface OAuthEndpoint<C extends EndpointContext, A> {
  readonly type: EndpointType;
  /** The steps, run in order. */
  readonly steps: ReadonlyArray<EndpointStep<C>>;
  /** The answer of a request whose steps all passed. */
  answer(context: C): A;
  /** Counts the request in the endpoint's metrics: `error` is the OAuth error answered, if any. */
  count(context: C, error: OAuthErrorCode | undefined): void;
  /**
   * Undoes what the steps issued when the request ends without its answer (a later step
   * failed, or its audit event could not be enqueued), as the pipeline gives back its `jti`s.
   */
  withdraw?(context: C): Promise<void>;
}
