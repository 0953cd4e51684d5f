import { Module } from '@nestjs/common';
import { RefreshTokenStore } from './refresh-token.store';

/** Refresh-token families in Postgres (the DataSource comes from the global DatabaseModule). */
@Module({
  providers: [RefreshTokenStore],
  exports: [RefreshTokenStore],
})
export class RefreshModule {}
