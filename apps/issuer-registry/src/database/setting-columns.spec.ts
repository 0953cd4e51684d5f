import { SettingColumns } from './setting-columns';

interface Widget {
  name: string;
  tags: string[];
  shape: { sides: number } | null;
}

describe('SettingColumns', () => {
  const columns = new SettingColumns<Widget>(['name', 'tags', 'shape'], new Set(['shape']));

  it('writes the column list, INSERT placeholders and UPDATE assignments in one order', () => {
    expect(columns.list).toBe('name, tags, shape');
    expect(columns.placeholders(3)).toBe('$3, $4, $5');
    expect(columns.assignments(2)).toBe('name = $2, tags = $3, shape = $4');
  });

  it('sends jsonb columns as JSON text, others (arrays for text[] too) as they are, null as null', () => {
    expect(columns.params({ name: 'a', tags: ['x'], shape: { sides: 3 } })).toEqual(['a', ['x'], '{"sides":3}']);
    expect(columns.params({ name: 'a', tags: [], shape: null })).toEqual(['a', [], null]);
  });

  it('picks only the settings out of a row', () => {
    const row = { name: 'a', tags: ['x'], shape: null, version: 7, created_at: new Date(0) };
    expect(columns.pick(row)).toEqual({ name: 'a', tags: ['x'], shape: null });
  });
});
