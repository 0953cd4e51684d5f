import { Code, Text } from '@mantine/core';

/** One labelled setting on a resource's page; `code` for expressions and JSON. */
export function Field({ name, value, code = false }: { name: string; value: string; code?: boolean }) {
  return (
    <div>
      <Text size="xs" c="dimmed" component="div">
        {name}
      </Text>
      {code ? <Code block>{value}</Code> : <Text size="sm">{value}</Text>}
    </div>
  );
}
