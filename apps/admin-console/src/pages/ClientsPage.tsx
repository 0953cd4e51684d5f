import { Button, Code, Table, Text } from '@mantine/core';
import { useNavigate } from 'react-router';
import type { Client } from '../api';
import { grantLabel } from '../clients-model';
import { ListHeader } from '../components/headers';
import { LinkCell } from '../components/LinkCell';
import { PagedTable } from '../components/PagedTable';
import { StatusBadge } from '../components/status';

const COLUMNS = ['Client ID', 'Name', 'Authentication method', 'Grant types', 'Status'];

export function ClientsPage() {
  const navigate = useNavigate();
  return (
    <>
      <ListHeader title="Clients">
        <Button onClick={() => navigate('/clients/new')}>Add client</Button>
      </ListHeader>
      <Text c="dimmed" mb="md" size="sm">
        Applications that call the token endpoint, and how each proves who it is (RFC 7523 §2.2 and RFC 6749 §2.3).
      </Text>
      <PagedTable<Client>
        path="/v1/clients"
        label="Clients"
        columns={COLUMNS}
        row={(client) => <ClientRow key={client.client_id} client={client} />}
        loading="clients"
        failedTitle="The clients could not be loaded"
        empty="No client yet. Add one for each application that calls the token endpoint."
      />
    </>
  );
}

function ClientRow({ client }: { client: Client }) {
  return (
    <Table.Tr>
      <LinkCell to={`/clients/${encodeURIComponent(client.client_id)}`}>{client.client_id}</LinkCell>
      <Table.Td>{client.client_name ?? '—'}</Table.Td>
      <Table.Td>
        <Code>{client.token_endpoint_auth_method}</Code>
      </Table.Td>
      <Table.Td>{client.grant_types.map(grantLabel).join(', ')}</Table.Td>
      <Table.Td>
        <StatusBadge status={client.status} />
      </Table.Td>
    </Table.Tr>
  );
}
