/**
 * The broker's own signing keys: exports `AccessTokenSigner` (the `AccessTokenSignerApi`
 * of the token endpoint, and what discovery and introspection read). Needs the global
 * `ConfigModule` and `DatabaseModule` (the `DataSource` of the `token` schema).
 */
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { AccessTokenSigner } from './access-token-signer.service';
import { SIGNING_KEY_DEFAULTS, SIGNING_KEYS_DATA_SOURCE, SIGNING_KEYS_OPTIONS, type SigningKeysOptions } from './signing-keys.options';

@Module({
  providers: [
    {
      provide: SIGNING_KEYS_OPTIONS,
      inject: [TOKEN_SERVICE_CONFIG],
      useFactory: (config: TokenServiceConfig): SigningKeysOptions => ({
        ...SIGNING_KEY_DEFAULTS,
        issuer: config.brokerIssuer,
        algorithm: config.signingAlgorithm,
        keyEncryptionKey: config.keyEncryptionKey,
        rotationSeconds: config.signingKeyRotationS,
      }),
    },
    { provide: SIGNING_KEYS_DATA_SOURCE, useExisting: DataSource },
    AccessTokenSigner,
  ],
  exports: [AccessTokenSigner],
})
export class SigningKeysModule {}
