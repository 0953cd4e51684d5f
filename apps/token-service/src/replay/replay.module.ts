import { Module } from '@nestjs/common';
import { ReplayGuardService } from './replay-guard.service';

@Module({
  providers: [ReplayGuardService],
  exports: [ReplayGuardService],
})
export class ReplayModule {}
