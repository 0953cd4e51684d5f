/**
 * The registry's DataSource: schema `registry`, migrations from src/migrations, no entities
 * (the services use SQL over the contract's column names).
 */
import { createDataSource } from '@trust-broker/service-kit/database';
import type { DataSource } from 'typeorm';
import { CreateRegistrySchema1764320000000 } from '../migrations/1764320000000-create-registry-schema';
import { AddIgnoredKeys1764790000000 } from '../migrations/1764790000000-add-ignored-keys';
import { AddSubjectFromIssuer1764790000001 } from '../migrations/1764790000001-add-subject-from-issuer';
import { AddClientIntrospectionAudiences1796315686403 } from '../migrations/1796315686403-add-client-introspection-audiences';
import { AddIssuerRefreshTokens1796330000000 } from '../migrations/1796330000000-add-issuer-refresh-tokens';
import { AddWorkloadFederation1796400696799 } from '../migrations/1796400696799-add-workload-federation';

export const REGISTRY_SCHEMA = 'registry';
export const REGISTRY_MIGRATIONS = [
  CreateRegistrySchema1764320000000, AddIgnoredKeys1764790000000, AddSubjectFromIssuer1764790000001, AddClientIntrospectionAudiences1796315686403,
  AddIssuerRefreshTokens1796330000000, AddWorkloadFederation1796400696799,
];

export function createRegistryDataSource(url: string): DataSource {
  return createDataSource({
    url,
    schema: REGISTRY_SCHEMA,
    migrations: REGISTRY_MIGRATIONS,
    applicationName: 'issuer-registry',
  });
}
