/** `/v1/issuers`: trusted issuers, their keys and their CEL expressions. */
import { Module } from '@nestjs/common';
import { KeyRefreshModule } from '../key-refresh/key-refresh.module';
import { PartyKeysModule } from '../party-keys/party-keys.module';
import { IssuersController } from './issuers.controller';
import { IssuersRepository } from './issuers.repository';
import { IssuersService } from './issuers.service';

@Module({ imports: [PartyKeysModule, KeyRefreshModule], controllers: [IssuersController], providers: [IssuersService, IssuersRepository], exports: [IssuersRepository] })
export class IssuersModule {}
