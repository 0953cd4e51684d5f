/** The parsed config, read once by main.ts (or a test), for every feature: hence global. */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from './registry.config';

@Global()
@Module({})
export class RegistryConfigModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    return { module: RegistryConfigModule, providers: [{ provide: REGISTRY_CONFIG, useValue: config }], exports: [REGISTRY_CONFIG] };
  }
}
