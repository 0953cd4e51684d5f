import { Module } from '@nestjs/common';
import { TrustModule } from '../trust/trust.module';
import { KeyRefreshService } from './key-refresh.service';

@Module({
  imports: [TrustModule],
  providers: [KeyRefreshService],
  exports: [KeyRefreshService],
})
export class KeyRefreshModule {}
