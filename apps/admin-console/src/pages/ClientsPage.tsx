import { Anchor, Button, Code, Group, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Client, Page } from '../api';
import { grantLabel } from '../clients-model';
import { Empty, ErrorNote, Loading } from '../components/states';
import { useLoad } from '../hooks';
import { useApi } from '../session';
import { StatusBadge } from './IssuersPage';

const PAGE_SIZE = 25;

export function ClientsPage() {
  const api = useApi();
  const navigate = useNavigate();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useLoad(() => api.get<Page<Client>>('/v1/clients', { limit: PAGE_SIZE, cursor }), [api, cursor]);
  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>Clients</Title>
        <Button onClick={() => navigate('/clients/new')}>Add client</Button>
      </Group>
      <Text c="dimmed" mb="md" size="sm">
        Applications that call the token endpoint, and how each proves who it is (RFC 7523 §2.2 and RFC 6749 §2.3).
      </Text>
      {page.error !== undefined ? (
        <ErrorNote error={page.error} title="The clients could not be loaded" />
      ) : page.data === undefined ? (
        <Loading what="clients" />
      ) : page.data.items.length === 0 && cursors.length === 1 ? (
        <Empty>No client yet. Add one for each application that calls the token endpoint.</Empty>
      ) : (
        <>
          <Table striped highlightOnHover aria-label="Clients">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Client ID</Table.Th>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Authentication method</Table.Th>
                <Table.Th scope="col">Grant types</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {page.data.items.map((client) => (
                <Table.Tr key={client.client_id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/clients/${encodeURIComponent(client.client_id)}`}>
                      {client.client_id}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{client.client_name ?? '—'}</Table.Td>
                  <Table.Td>
                    <Code>{client.token_endpoint_auth_method}</Code>
                  </Table.Td>
                  <Table.Td>{client.grant_types.map(grantLabel).join(', ')}</Table.Td>
                  <Table.Td>
                    <StatusBadge status={client.status} />
                  </Table.Td>
                </Table.Tr>
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
