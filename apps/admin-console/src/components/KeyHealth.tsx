import { Badge, Group, Text } from '@mantine/core';
import type { KeyStatus } from '../api';
import { ago, plural } from '../format';

/** One line of key health: how many keys, when fetched, the last error, ignored keys. */
export function KeyHealth({ status }: { status: KeyStatus }) {
  const ignored = status.ignored?.length ?? 0;
  const healthy = status.keys.length > 0 && status.last_error === null;
  return (
    <Group gap={6} wrap="wrap">
      <Badge color={healthy ? 'green' : status.keys.length > 0 ? 'yellow' : 'red'} variant="light">
        {healthy ? 'keys OK' : status.keys.length > 0 ? 'stale keys' : 'no keys'}
      </Badge>
      <Text size="sm">
        {plural(status.keys.length, 'key')}
        {status.source === 'inline' ? ', inline' : `, fetched ${ago(status.fetched_at)}`}
        {ignored > 0 ? `, ${plural(ignored, 'ignored key')}` : ''}
      </Text>
      {status.last_error !== null && (
        <Text size="sm" c="red">
          last error: {status.last_error}
        </Text>
      )}
    </Group>
  );
}
