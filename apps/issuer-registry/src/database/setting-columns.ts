/**
 * The writable columns of a registry table in one fixed order, and how their values go
 * to SQL (jsonb columns as JSON text), so a repository writes INSERT and UPDATE from one
 * list and a column added to the list is written everywhere.
 */
export class SettingColumns<Settings extends object> {
  constructor(
    readonly names: readonly (keyof Settings & string)[],
    private readonly jsonColumns: ReadonlySet<keyof Settings & string> = new Set(),
  ) {}

  /** `a, b, c` */
  get list(): string {
    return this.names.join(', ');
  }

  /** `$<first>, $<first+1>, ...`: the VALUES of an INSERT whose setting parameters start at `first`. */
  placeholders(first: number): string {
    return this.names.map((_, i) => `$${first + i}`).join(', ');
  }

  /** `a = $<first>, b = $<first+1>, ...`: the SET of an UPDATE. */
  assignments(first: number): string {
    return this.names.map((name, i) => `${name} = $${first + i}`).join(', ');
  }

  /** The parameters, in column order. */
  params(settings: Settings): unknown[] {
    return this.names.map((name) => {
      const value = settings[name];
      return this.jsonColumns.has(name) && value !== null ? JSON.stringify(value) : value;
    });
  }

  /** The settings held in a row. */
  pick(row: Settings): Settings {
    return Object.fromEntries(this.names.map((name) => [name, row[name]])) as Settings;
  }
}
