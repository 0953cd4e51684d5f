/** The one guarded outbound HTTP client (JWKS and discovery fetches), closed when the app stops. */
import { Module } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';
import { OutboundFetcher } from './outbound-fetcher';

@Module({
  providers: [{ provide: OutboundFetcher, useFactory: (config: RegistryConfig) => new OutboundFetcher(config.outbound), inject: [REGISTRY_CONFIG] }],
  exports: [OutboundFetcher],
})
export class JwksFetcherModule {}
