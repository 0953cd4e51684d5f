import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from './token-service.config';

/** Makes the parsed config injectable everywhere as `@Inject(TOKEN_SERVICE_CONFIG)`. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: TokenServiceConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: TOKEN_SERVICE_CONFIG, useValue: config }],
      exports: [TOKEN_SERVICE_CONFIG],
    };
  }
}
