import { z } from 'zod';
import { describeZodError } from './zod-body.pipe';

const schema = z
  .object({
    name: z.string().min(1),
    tags: z.array(z.string().max(3)).optional(),
    nested: z.object({ value: z.number() }).strict().optional(),
  })
  .strict();

describe('describeZodError', () => {
  it.each([
    ['a missing field', {}, 'name: required'],
    ['an unknown field', { name: 'a', colour: 'red' }, 'colour: unknown field'],
    ['two unknown fields', { name: 'a', x: 1, y: 2 }, 'x, y: unknown field'],
    ['an unknown nested field', { name: 'a', nested: { value: 1, extra: true } }, 'nested.extra: unknown field'],
    ['a bad list item', { name: 'a', tags: ['ok', 'toolong'] }, /^tags\[1\]: /],
    ['a wrong type', { name: 5 }, /^name: /],
    ['a body that is not an object', 'text', /^body: /],
  ])('%s', (_label, input, expected) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    const description = describeZodError(result.error!);
    if (typeof expected === 'string') expect(description).toBe(expected);
    else expect(description).toMatch(expected);
  });
});
