import { Button, Skeleton, Table, Text } from '@mantine/core';
import { useNavigate } from 'react-router';
import type { Issuer, KeyStatus } from '../api';
import { ListHeader } from '../components/headers';
import { LinkCell } from '../components/LinkCell';
import { KeyHealth } from '../components/KeyHealth';
import { PagedTable } from '../components/PagedTable';
import { StatusBadge } from '../components/status';
import { useLoad } from '../hooks';
import { useApi } from '../session';

const COLUMNS = ['Issuer (iss)', 'Display name', 'Status', 'Key status'];

export function IssuersPage() {
  const navigate = useNavigate();
  return (
    <>
      <ListHeader title="Trusted issuers">
        <Button onClick={() => navigate('/issuers/new')}>Add issuer</Button>
      </ListHeader>
      <Text c="dimmed" mb="md" size="sm">
        Parties whose signed JWTs the broker exchanges for its own tokens (RFC 7523 §2.1), and their keys.
      </Text>
      <PagedTable<Issuer>
        path="/v1/issuers"
        label="Trusted issuers"
        columns={COLUMNS}
        row={(issuer) => <IssuerRow key={issuer.id} issuer={issuer} />}
        loading="trusted issuers"
        failedTitle="The issuers could not be loaded"
        empty="No trusted issuer yet. Add one to let its assertions in."
      />
    </>
  );
}

function IssuerRow({ issuer }: { issuer: Issuer }) {
  const api = useApi();
  const keys = useLoad(() => api.get<KeyStatus>(`/v1/issuers/${encodeURIComponent(issuer.id)}/jwks`), [api, issuer.id]);
  return (
    <Table.Tr>
      <LinkCell to={`/issuers/${encodeURIComponent(issuer.id)}`}>{issuer.issuer}</LinkCell>
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
