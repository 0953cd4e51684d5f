import { Module } from '@nestjs/common';
import { DpopProofVerifier } from './dpop-proof.verifier';

@Module({
  providers: [DpopProofVerifier],
  exports: [DpopProofVerifier],
})
export class DpopModule {}
