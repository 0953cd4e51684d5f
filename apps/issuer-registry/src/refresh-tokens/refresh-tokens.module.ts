/** The refresh-token families of clients and issuers, listed and revoked (issue 23). */
import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { IssuersModule } from '../issuers/issuers.module';
import { RefreshTokensController } from './refresh-tokens.controller';
import { RefreshTokensService } from './refresh-tokens.service';

@Module({ imports: [ClientsModule, IssuersModule], controllers: [RefreshTokensController], providers: [RefreshTokensService] })
export class RefreshTokensModule {}
