/** The `token` schema's migrations, in order; main.ts runs them at start under the advisory lock. */
import { CreateSigningKeys1764320000000 } from './1764320000000-create-signing-keys';
import { CreateRevokedTokens1764320000001 } from './1764320000001-create-revoked-tokens';
import { CreateReplayStores1796315686402 } from './1796315686402-create-replay-stores';
import { CreateRefreshTokens1796330000001 } from './1796330000001-create-refresh-tokens';

export const TOKEN_SCHEMA = 'token';

export const TOKEN_MIGRATIONS = [CreateSigningKeys1764320000000, CreateRevokedTokens1764320000001, CreateReplayStores1796315686402, CreateRefreshTokens1796330000001];
