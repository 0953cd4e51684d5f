import { Anchor, Table } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';

/** The first cell of a listed party's row: its name, a link to its page. */
export function LinkCell({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Table.Td>
      <Anchor component={Link} to={to}>
        {children}
      </Anchor>
    </Table.Td>
  );
}
