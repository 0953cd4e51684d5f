import { Button, Group } from '@mantine/core';
import type { CursorPages } from '../hooks';

/** Back and forth through a list's pages; the labels name the direction in the list's own words. */
export function Pager({ pages, nextCursor, labels = ['Previous page', 'Next page'] }: { pages: CursorPages; nextCursor: string | null; labels?: [string, string] }) {
  return (
    <Group mt="md" gap="xs">
      <Button variant="default" disabled={pages.isFirst} onClick={pages.previous}>
        {labels[0]}
      </Button>
      <Button variant="default" disabled={nextCursor === null} onClick={() => nextCursor !== null && pages.next(nextCursor)}>
        {labels[1]}
      </Button>
    </Group>
  );
}
