/**
 * Lets a request that met an unknown `kid` wait (CONTRACT.md: up to 2 s) until the party's
 * key set in the cache is newer than the one it tried, instead of polling.
 */
import { EventEmitter } from 'node:events';
import type { PartyType } from './trust.types';

export class KeyChangeWaiter {
  private readonly events = new EventEmitter();

  /** `keysVersion`: the version the cache holds now for a party (-1 when none). */
  constructor(private readonly keysVersion: (party: PartyType, id: string) => number) {
    // One listener per waiting request: no limit is the right one.
    this.events.setMaxListeners(0);
  }

  /** The party's keys may have changed: waiters look again. */
  notify(party: PartyType, id: string): void {
    this.events.emit(`${party}:${id}`);
  }

  /** Resolves true as soon as the party's keys are newer than `sinceVersion`, false after `timeoutMs`. */
  async wait(party: PartyType, id: string, sinceVersion: number, timeoutMs: number): Promise<boolean> {
    if (this.keysVersion(party, id) > sinceVersion) return true;
    const event = `${party}:${id}`;
    return new Promise<boolean>((resolve) => {
      const onChange = () => {
        if (this.keysVersion(party, id) <= sinceVersion) return;
        clearTimeout(timer);
        this.events.off(event, onChange);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.events.off(event, onChange);
        resolve(false);
      }, timeoutMs);
      this.events.on(event, onChange);
    });
  }
}
