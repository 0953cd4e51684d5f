import { Module } from '@nestjs/common';
import { HealthModule } from '@trust-broker/service-kit/nest';
import { TrustCache } from './trust-cache.service';
import { TrustSyncService } from './trust-sync.service';

/** Exports `TrustCache`: issuers by `iss`, clients by `client_id`, kept fresh by `TrustSyncService`. */
@Module({
  imports: [HealthModule],
  providers: [TrustCache, TrustSyncService],
  exports: [TrustCache],
})
export class TrustModule {}
