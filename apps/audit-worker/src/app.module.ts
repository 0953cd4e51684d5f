import { Inject, Injectable, Module, type BeforeApplicationShutdown, type CanActivate, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { HealthModule, ReadinessRegistry } from '@trust-broker/service-kit';
import { AuditChainController } from './audit-chain/audit-chain.controller';
import { ChainVerifier } from './audit-chain/chain-verifier';
import { AuditEventsController } from './audit-events/audit-events.controller';
import { AuditEventsRepository } from './audit-events/audit-events.repository';
import { AuditWorkerRuntime } from './audit-worker.runtime';
import { ADMIN_AUTH, AdminGuard } from './http/admin.guard';
import { SigningKeysService } from './signing-keys/signing-keys.service';

export interface AppDependencies {
  runtime: AuditWorkerRuntime;
  adminAuth: CanActivate;
  events: AuditEventsRepository;
  verifier: ChainVerifier;
  signingKeys: SigningKeysService;
}

/** Ties the runtime's start and stop to Nest's lifecycle. */
@Injectable()
class RuntimeLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(AuditWorkerRuntime) private readonly runtime: AuditWorkerRuntime,
    @Inject(ReadinessRegistry) readiness: ReadinessRegistry,
  ) {
    runtime.registerReadiness(readiness);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close();
  }
}

@Module({})
export class AppModule {
  static register(dependencies: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [HealthModule],
      controllers: [AuditEventsController, AuditChainController],
      providers: [
        { provide: AuditWorkerRuntime, useValue: dependencies.runtime },
        { provide: ADMIN_AUTH, useValue: dependencies.adminAuth },
        { provide: AuditEventsRepository, useValue: dependencies.events },
        { provide: ChainVerifier, useValue: dependencies.verifier },
        { provide: SigningKeysService, useValue: dependencies.signingKeys },
        AdminGuard,
        RuntimeLifecycle,
      ],
    };
  }
}
