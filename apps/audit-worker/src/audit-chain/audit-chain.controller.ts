import { Controller, Get, Header, Inject, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../http/admin.guard';
import { SigningKeysService, type PublicSigningKey } from '../signing-keys/signing-keys.service';
import { ChainVerifier, type VerifyReport } from './chain-verifier';

@Controller('v1/audit')
export class AuditChainController {
  constructor(
    @Inject(ChainVerifier) private readonly verifier: ChainVerifier,
    @Inject(SigningKeysService) private readonly signingKeys: SigningKeysService,
  ) {}

  @Get('verify')
  @UseGuards(AdminGuard)
  @Header('Cache-Control', 'no-store')
  async verify(): Promise<VerifyReport> {
    return this.verifier.verify();
  }

  /** The checkpoint keys (JWKS), public like any JWKS so outside verifiers can pin them. */
  @Get('keys')
  @Header('Cache-Control', 'no-store')
  async keys(): Promise<{ keys: PublicSigningKey[] }> {
    const trusted = await this.signingKeys.trustedKeys();
    return { keys: [...trusted.values()].map((entry) => entry.jwk) };
  }
}
