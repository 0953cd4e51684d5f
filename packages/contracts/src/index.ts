export { QUEUES, TRUST_CHANGE_CHANNEL, DEFAULT_JOB_OPTIONS, prefixed } from './queues';
export type { QueueName } from './queues';
export {
  AUDIT_EVENT_TYPES,
  ADMIN_ACTIONS,
  AuditEventSchema,
  parseAuditEvent,
  AUDIT_JOB_NAMES,
  MAX_AUDIT_BATCH_EVENTS,
  AuditBatchJobSchema,
  AuditBatchEnvelopeSchema,
  parseAuditBatchJob,
  auditBatchJobId,
} from './audit-event';
export type { AuditEvent, AuditEventInput, AuditBatchJob } from './audit-event';
export { AUDIT_STREAM_SHARDS, AUDIT_STREAM_GROUP, AUDIT_STREAM_FIELD, auditStreamKey, auditStreamKeys, auditDeadLetterKey } from './audit-stream';
export { TRUST_ENTITIES, TrustChangeSchema, parseTrustChange } from './trust-change';
export type { TrustChange } from './trust-change';
export { KeyRefreshJobSchema, parseKeyRefreshJob, keyRefreshDedupId } from './key-refresh';
export type { KeyRefreshJob } from './key-refresh';
export { REGISTRY_TABLES } from './registry-schema';
export { TOKEN_FUNCTIONS } from './token-schema';
export type { RefreshFamilyOwnerType, RefreshFamilySummary, RevokedRefreshFamily } from './token-schema';
export type { IssuerRow, ClientRow, FederatedCredential, PartyKeysRow, AssertionRevocationRow } from './registry-schema';
export type { IssuerResource, ClientResource, ResourcePage } from './admin-api';
export { CLIENT_ASSERTION_TYPE, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, TOKEN_TYPES } from './oauth-urns';
