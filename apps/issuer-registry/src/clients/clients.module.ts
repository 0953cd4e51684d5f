/** `/v1/clients`: OAuth clients, their keys or secrets, and revoked client assertions. */
import { Module } from '@nestjs/common';
import { KeyRefreshModule } from '../key-refresh/key-refresh.module';
import { PartyKeysModule } from '../party-keys/party-keys.module';
import { ClientsController } from './clients.controller';
import { IssuersModule } from '../issuers/issuers.module';
import { ClientsRepository } from './clients.repository';
import { ClientsService } from './clients.service';

@Module({ imports: [IssuersModule, PartyKeysModule, KeyRefreshModule], controllers: [ClientsController], providers: [ClientsService, ClientsRepository], exports: [ClientsRepository] })
export class ClientsModule {}
