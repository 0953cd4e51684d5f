import { Module } from '@nestjs/common';
import { KeyRefreshModule } from '../key-refresh/key-refresh.module';
import { RefreshModule } from '../refresh/refresh.module';
import { RevocationStoreModule } from '../revocation/revocation-store.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { BrokerTokenSubject } from './broker-token-subject';
import { TrustModule } from '../trust/trust.module';
import type { GrantHandler } from './grant.types';
import { GRANT_HANDLERS, GrantTable, SUPPORTED_GRANT_TYPES } from './grant-table';

const HANDLER_CLASSES = Object.values(GRANT_HANDLERS);

/** Builds every grant of the table and exports the table (`GrantTable`) for the token endpoint. */
@Module({
  imports: [TrustModule, KeyRefreshModule, RefreshModule, SigningKeysModule, RevocationStoreModule],
  providers: [
    BrokerTokenSubject,
    ...HANDLER_CLASSES,
    {
      provide: GrantTable,
      useFactory: (...handlers: GrantHandler[]) => new GrantTable(SUPPORTED_GRANT_TYPES.map((grantType, index) => [grantType, handlers[index]!] as const)),
      inject: HANDLER_CLASSES,
    },
  ],
  exports: [GrantTable],
})
export class GrantsModule {}
