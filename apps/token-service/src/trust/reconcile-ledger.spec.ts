import { ReconcileLedger } from './reconcile-ledger';
import type { RegistryVersions } from './registry-reader';

const versions = (overrides: Partial<RegistryVersions> = {}): RegistryVersions => ({
  issuers: new Map([['i1', 3]]),
  clients: new Map([['c1', 5]]),
  partyKeys: new Map([
    ['issuer:i1', 7],
    ['client:c1', 2],
  ]),
  revocations: new Map([['c1', '1:10']]),
  ...overrides,
});

describe('ReconcileLedger', () => {
  it('finds every party stale until it is recorded, then only what changed', () => {
    const ledger = new ReconcileLedger();
    expect(ledger.staleParties(versions())).toEqual({ issuerIds: ['i1'], clientIds: ['c1'] });
    ledger.record('issuer', 'i1', versions());
    ledger.record('client', 'c1', versions());
    expect(ledger.staleParties(versions())).toEqual({ issuerIds: [], clientIds: [] });
    expect(ledger.staleParties(versions({ partyKeys: new Map([['issuer:i1', 8], ['client:c1', 2]]) }))).toEqual({ issuerIds: ['i1'], clientIds: [] });
    expect(ledger.staleParties(versions({ revocations: new Map([['c1', '2:11']]) }))).toEqual({ issuerIds: [], clientIds: ['c1'] });
  });

  it('reads a forgotten party again', () => {
    const ledger = new ReconcileLedger();
    ledger.record('client', 'c1', versions());
    ledger.forget('client', 'c1');
    expect(ledger.staleParties(versions()).clientIds).toEqual(['c1']);
  });
});
