/** The `token` schema's migrations, in order; main.ts runs them at start under the advisory lock. */
import { CreateSigningKeys1764320000000 } from './1764320000000-create-signing-keys';
import { CreateRevokedTokens1764320000001 } from './1764320000001-create-revoked-tokens';
import { CreateReplayStores1796315686402 } from './1796315686402-create-replay-stores';
import { CreateRefreshTokens1796330000001 } from './1796330000001-create-refresh-tokens';
import { AddRefreshTokenPredecessor1796330000002 } from './1796330000002-add-refresh-token-predecessor';
import { CreateRefreshFamilyAdminFunctions1796330000003 } from './1796330000003-create-refresh-family-admin-functions';

export const TOKEN_SCHEMA = 'token';

export const TOKEN_MIGRATIONS = [
  CreateSigningKeys1764320000000, CreateRevokedTokens1764320000001, CreateReplayStores1796315686402, CreateRefreshTokens1796330000001,
  AddRefreshTokenPredecessor1796330000002,
  CreateRefreshFamilyAdminFunctions1796330000003,
];
