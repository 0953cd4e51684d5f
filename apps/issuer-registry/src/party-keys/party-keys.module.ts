/** The keys held for issuers and clients, and their refresh from a remote source. */
import { Module } from '@nestjs/common';
import { JwksFetcherModule } from '../jwks-fetcher/jwks-fetcher.module';
import { KeyRefresherService } from './key-refresher.service';
import { PartyKeysRepository } from './party-keys.repository';

@Module({ imports: [JwksFetcherModule], providers: [KeyRefresherService, PartyKeysRepository], exports: [KeyRefresherService, PartyKeysRepository] })
export class PartyKeysModule {}
