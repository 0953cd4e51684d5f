import { Anchor, Badge, Button, Group, Skeleton, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Issuer, KeyStatus, Page } from '../api';
import { KeyHealth } from '../components/KeyHealth';
import { Empty, ErrorNote, Loading } from '../components/states';
import { useLoad } from '../hooks';
import { useApi } from '../session';

const PAGE_SIZE = 25;

export function IssuersPage() {
  const api = useApi();
  const navigate = useNavigate();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useLoad(() => api.get<Page<Issuer>>('/v1/issuers', { limit: PAGE_SIZE, cursor }), [api, cursor]);

  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>Trusted issuers</Title>
        <Button onClick={() => navigate('/issuers/new')}>Add issuer</Button>
      </Group>
      <Text c="dimmed" mb="md" size="sm">
        Parties whose signed JWTs the broker exchanges for its own tokens (RFC 7523 §2.1), and their keys.
      </Text>
      {page.error !== undefined ? (
        <ErrorNote error={page.error} title="The issuers could not be loaded" />
      ) : page.data === undefined ? (
        <Loading what="trusted issuers" />
      ) : page.data.items.length === 0 && cursors.length === 1 ? (
        <Empty>No trusted issuer yet. Add one to let its assertions in.</Empty>
      ) : (
        <>
          <Table striped highlightOnHover aria-label="Trusted issuers">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Issuer (iss)</Table.Th>
                <Table.Th scope="col">Display name</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Key status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {page.data.items.map((issuer) => (
                <IssuerRow key={issuer.id} issuer={issuer} />
              ))}
            </Table.Tbody>
          </Table>
          <Group mt="md" gap="xs">
            <Button variant="default" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </Button>
            <Button variant="default" disabled={page.data.next_cursor === null} onClick={() => setCursors([...cursors, page.data!.next_cursor])}>
              Next page
            </Button>
          </Group>
        </>
      )}
    </>
  );
}

function IssuerRow({ issuer }: { issuer: Issuer }) {
  const api = useApi();
  const keys = useLoad(() => api.get<KeyStatus>(`/v1/issuers/${encodeURIComponent(issuer.id)}/jwks`), [api, issuer.id]);
  return (
    <Table.Tr>
      <Table.Td>
        <Anchor component={Link} to={`/issuers/${encodeURIComponent(issuer.id)}`}>
          {issuer.issuer}
        </Anchor>
      </Table.Td>
      <Table.Td>{issuer.display_name}</Table.Td>
      <Table.Td>
        <StatusBadge status={issuer.status} />
      </Table.Td>
      <Table.Td>
        {keys.data !== undefined ? (
          <KeyHealth status={keys.data} />
        ) : keys.error !== undefined ? (
          <Text size="sm" c="red">
            key status unavailable
          </Text>
        ) : (
          <Skeleton height={18} width={160} aria-label="loading key status" />
        )}
      </Table.Td>
    </Table.Tr>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge color={status === 'active' ? 'green' : 'gray'} variant={status === 'active' ? 'light' : 'outline'}>
      {status}
    </Badge>
  );
}
