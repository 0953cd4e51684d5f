/**
 * The cached parties, indexed the way the token path finds them: issuers by id and by their
 * exact `iss`, clients by `client_id`. Renames may arrive in any order: a rename frees the
 * old `iss` only while it still points at that issuer.
 */
import type { CachedClient, CachedIssuer, PartyType } from './trust.types';

export class TrustIndex {
  private readonly issuersById = new Map<string, CachedIssuer>();
  private readonly issuersByIss = new Map<string, CachedIssuer>();
  private readonly clients = new Map<string, CachedClient>();

  issuerById(id: string): CachedIssuer | undefined {
    return this.issuersById.get(id);
  }

  issuerByIss(iss: string): CachedIssuer | undefined {
    return this.issuersByIss.get(iss);
  }

  client(clientId: string): CachedClient | undefined {
    return this.clients.get(clientId);
  }

  issuerIds(): string[] {
    return [...this.issuersById.keys()];
  }

  clientIds(): string[] {
    return [...this.clients.keys()];
  }

  size(): { issuers: number; clients: number } {
    return { issuers: this.issuersById.size, clients: this.clients.size };
  }

  /** The version of the key set the party's entry holds; -1 when it is not cached. */
  keysVersion(party: PartyType, id: string): number {
    return (party === 'issuer' ? this.issuersById.get(id) : this.clients.get(id))?.keysVersion ?? -1;
  }

  putIssuer(issuer: CachedIssuer): void {
    const previous = this.issuersById.get(issuer.row.id);
    if (previous && previous.row.issuer !== issuer.row.issuer && this.issuersByIss.get(previous.row.issuer) === previous) {
      this.issuersByIss.delete(previous.row.issuer);
    }
    this.issuersById.set(issuer.row.id, issuer);
    this.issuersByIss.set(issuer.row.issuer, issuer);
  }

  removeIssuer(id: string): void {
    const previous = this.issuersById.get(id);
    if (!previous) return;
    this.issuersById.delete(id);
    if (this.issuersByIss.get(previous.row.issuer) === previous) this.issuersByIss.delete(previous.row.issuer);
  }

  putClient(client: CachedClient): void {
    this.clients.set(client.row.client_id, client);
  }

  removeClient(clientId: string): void {
    this.clients.delete(clientId);
  }
}
