import type { DataSource } from 'typeorm';
import { createDataSource } from '@trust-broker/service-kit/database';
import { CreateAuditSchema1764300000000 } from '../migrations/1764300000000-create-audit-schema';
import { HashIndexesForLongValues1764300000001 } from '../migrations/1764300000001-hash-indexes-for-long-values';
import { AppendFunction1764300000002 } from '../migrations/1764300000002-append-function';
import { AppendFunctionArrays1764300000003 } from '../migrations/1764300000003-append-function-arrays';
import { VerificationRecords1764300000004 } from '../migrations/1764300000004-verification-records';

export const AUDIT_SCHEMA = 'audit';

export function createAuditDataSource(databaseUrl: string, poolSize = 6): DataSource {
  return createDataSource({
    url: databaseUrl,
    schema: AUDIT_SCHEMA,
    migrations: [
      CreateAuditSchema1764300000000,
      HashIndexesForLongValues1764300000001,
      AppendFunction1764300000002,
      AppendFunctionArrays1764300000003,
      VerificationRecords1764300000004,
    ],
    poolSize,
    applicationName: 'audit-worker',
  });
}
