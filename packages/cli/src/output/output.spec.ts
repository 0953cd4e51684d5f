import { formatCell, formatJson, formatRecord, formatTable } from './output';

describe('output formatting', () => {
  it.each([
    [null, '-'],
    [undefined, '-'],
    [[], '-'],
    [['a', 'b'], 'a, b'],
    [true, 'true'],
    [300, '300'],
    [{ a: 1 }, '{"a":1}'],
    ['text', 'text'],
  ])('formatCell(%j) = %j', (value, expected) => {
    expect(formatCell(value)).toBe(expected);
  });

  it('prints a table with the headers and one row per item, without colour codes', () => {
    const table = formatTable(
      [
        { id: '1', issuer: 'https://a', subjects: ['*'] },
        { id: '2', issuer: 'https://b', subjects: null },
      ],
      [{ field: 'id' }, { field: 'issuer' }, { field: 'subjects', header: 'subs' }],
    );
    const lines = table.split('\n');
    expect(lines[1]).toMatch(/│ id │ issuer +│ subs │/);
    expect(table).toContain('https://a');
    expect(table).toMatch(/│ 2 +│ https:\/\/b │ - +│/);
    expect(table.includes(String.fromCharCode(27))).toBe(false);
  });

  it('prints a record field by field, long values wrapped, not cut', () => {
    const long = 'x'.repeat(200);
    const text = formatRecord({ client_id: 'c1', jwks: long });
    expect(text).toContain('client_id');
    expect(text.replace(/[│\s]/g, '')).toContain(long);
  });

  it('prints JSON that parses back', () => {
    expect(JSON.parse(formatJson({ items: [], next_cursor: null }))).toEqual({ items: [], next_cursor: null });
  });
});
