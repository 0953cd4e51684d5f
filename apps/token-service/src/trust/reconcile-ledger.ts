/**
 * What each cached party was built from (its row version, key set version and, for a
 * client, its revocations), so that the periodic reconcile reads and rebuilds only the
 * parties that changed since. A party a trust-change message touched is forgotten here:
 * the next reconcile reads it once more, whatever the message did.
 */
import type { RegistryVersions, StaleParties } from './registry-reader';
import type { PartyType } from './trust.types';

export class ReconcileLedger {
  /** `issuer:<id>` / `client:<client_id>` → what its entry was built from. */
  private readonly builtFrom = new Map<string, string>();

  /** The parties whose row, key set or revocations differ from what their cached entry was built from. */
  staleParties(versions: RegistryVersions): StaleParties {
    const issuerIds = [...versions.issuers.keys()].filter((id) => this.builtFrom.get(`issuer:${id}`) !== builtFromOf(versions, 'issuer', id));
    const clientIds = [...versions.clients.keys()].filter((id) => this.builtFrom.get(`client:${id}`) !== builtFromOf(versions, 'client', id));
    return { issuerIds, clientIds };
  }

  /** The party's entry was just built from `versions`. */
  record(party: PartyType, id: string, versions: RegistryVersions): void {
    this.builtFrom.set(`${party}:${id}`, builtFromOf(versions, party, id));
  }

  /** Read the party again at the next reconcile. */
  forget(party: PartyType, id: string): void {
    this.builtFrom.delete(`${party}:${id}`);
  }
}

function builtFromOf(versions: RegistryVersions, party: PartyType, id: string): string {
  const row = party === 'issuer' ? versions.issuers.get(id) : versions.clients.get(id);
  const keys = versions.partyKeys.get(`${party}:${id}`) ?? '-';
  return party === 'issuer' ? `${row}/${keys}` : `${row}/${keys}/${versions.revocations.get(id) ?? '-'}`;
}
