import { Module } from '@nestjs/common';
import { RevocationStore } from './revocation-store.service';

/**
 * The revoked-token store alone (`RevocationStore`): the revocation endpoint writes it,
 * introspection and the exchange of a broker token (grants/) read it, and neither of those
 * needs the `/oauth2/revoke` endpoint. Needs the global ConfigModule, DatabaseModule and RedisModule.
 */
@Module({
  providers: [RevocationStore],
  exports: [RevocationStore],
})
export class RevocationStoreModule {}
