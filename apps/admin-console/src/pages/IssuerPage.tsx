import { Alert, Button, Code, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { Issuer, KeyStatus } from '../api';
import { DataTable } from '../components/DataTable';
import { Field } from '../components/Field';
import { ResourceHeader } from '../components/headers';
import { KeyHealth } from '../components/KeyHealth';
import { StatusBadge, StatusButtons, statusAction, type PartyStatus } from '../components/status';
import { Empty, ErrorNote, Loading } from '../components/states';
import { ago, formatTime } from '../format';
import { useAction, useLoad } from '../hooks';
import { useApi } from '../session';

export function IssuerPage() {
  const { id = '' } = useParams();
  const api = useApi();
  const navigate = useNavigate();
  const path = `/v1/issuers/${encodeURIComponent(id)}`;
  const issuer = useLoad(() => api.get<Issuer>(path), [api, path]);
  const keys = useLoad(() => api.get<KeyStatus>(`${path}/jwks`), [api, path]);
  const action = useAction(() => {
    issuer.reload();
    keys.reload();
  });
  const [confirmDelete, setConfirmDelete] = useState(false);
  // A new remote source is fetched in the background: look again until the first fetch is done.
  const firstFetchPending = keys.data !== undefined && keys.data.source !== 'inline' && keys.data.fetched_at === null && keys.data.last_error === null;
  useEffect(() => {
    if (!firstFetchPending) return;
    const timer = setTimeout(keys.reload, 1500);
    return () => clearTimeout(timer);
  }, [firstFetchPending, keys.data, keys.reload]);

  if (issuer.error !== undefined) return <ErrorNote error={issuer.error} title="The issuer could not be loaded" />;
  if (issuer.data === undefined) return <Loading what="the issuer" />;
  const data = issuer.data;
  const { busy, act } = action;
  const setStatus = (status: PartyStatus) => act(statusAction(status), () => api.patch(path, { status }));

  return (
    <>
      <ResourceHeader back={{ to: '/issuers', label: 'Trusted issuers' }} title={data.display_name} idName="iss" idValue={data.issuer}>
        <StatusBadge status={data.status} />
        <Button variant="default" component={Link} to={`/issuers/${encodeURIComponent(data.id)}/edit`}>
          Edit
        </Button>
        <StatusButtons status={data.status} busy={busy} onChange={setStatus} />
      </ResourceHeader>
      {action.error !== undefined && <ErrorNote error={action.error} title="Not done" />}
      <Stack>
        <Paper withBorder p="md">
          <Group justify="space-between" mb="sm">
            <Title order={3} size="h4">
              Keys held
            </Title>
            <Button variant="light" loading={busy === 'Refresh keys'} onClick={() => act('Refresh keys', () => api.post(`${path}/jwks/refresh`))}>
              Refresh keys
            </Button>
          </Group>
          {keys.error !== undefined ? (
            <ErrorNote error={keys.error} title="The key status could not be loaded" />
          ) : keys.data === undefined ? (
            <Loading what="keys" />
          ) : (
            <KeyDetails status={keys.data} pending={firstFetchPending} />
          )}
        </Paper>
        <Paper withBorder p="md">
          <Title order={3} size="h4" mb="sm">
            Rules
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
            <Field name="Subjects" value={data.subjects.join(', ')} />
            <Field name="Allowed scopes" value={data.allowed_scopes.join(' ') || 'none'} />
            <Field name="Audiences" value={data.audiences.join(' ') || 'none (the broker itself)'} />
            <Field name="Accepted audiences" value={data.accepted_audiences.join(' ') || 'none'} />
            <Field name="Allowed algorithms" value={data.allowed_algorithms.join(', ')} />
            <Field name="Condition (CEL)" value={data.condition ?? 'none'} code={data.condition !== null} />
            <Field name="Claim mappings" value={data.claim_mappings === null ? 'none' : JSON.stringify(data.claim_mappings)} code={data.claim_mappings !== null} />
            <Field name="Largest assertion lifetime" value={`${data.max_assertion_lifetime_s} s`} />
            <Field name="Clock skew" value={`${data.clock_skew_s} s`} />
            <Field name="jti required, single use" value={data.require_jti ? 'yes' : 'no'} />
            <Field name="Client authentication required" value={data.require_client_auth ? 'yes' : 'no'} />
            <Field name="Access token lifetime" value={`${data.access_token_ttl_s} s`} />
            <Field name="Trust expires" value={data.expires_at === null ? 'never' : formatTime(data.expires_at)} />
          </SimpleGrid>
        </Paper>
        <Group>
          {confirmDelete ? (
            <>
              <Text size="sm">Delete this issuer? Its assertions are refused from then on.</Text>
              <Button color="red" loading={busy === 'Delete'} onClick={() => act('Delete', async () => { await api.delete(path); navigate('/issuers'); })}>
                Delete for good
              </Button>
              <Button variant="default" onClick={() => setConfirmDelete(false)}>
                Keep it
              </Button>
            </>
          ) : (
            <Button color="red" variant="subtle" onClick={() => setConfirmDelete(true)}>
              Delete issuer
            </Button>
          )}
        </Group>
      </Stack>
    </>
  );
}

function KeyDetails({ status, pending }: { status: KeyStatus; pending: boolean }) {
  return (
    <Stack gap="sm">
      <KeyHealth status={status} />
      <Text size="sm">
        Source: {status.source === 'inline' ? 'inline key set' : status.source === 'discovery' ? 'discovery' : 'JWKS URI'}
        {status.jwks_uri !== null && (
          <>
            {' '}
            <Code>{status.jwks_uri}</Code>
          </>
        )}
        {status.source !== 'inline' && (
          <>
            {' '}
            · last fetch {formatTime(status.fetched_at)} ({ago(status.fetched_at)}) · next refresh {formatTime(status.next_refresh_at)}
          </>
        )}
      </Text>
      {status.last_error !== null ? (
        <Alert color="red" variant="light" title="Last fetch error">
          {status.last_error}
          {status.last_error_at ? ` (${formatTime(status.last_error_at)})` : ''}
          {status.keys.length > 0 ? '. The last good keys are kept.' : ''}
        </Alert>
      ) : (
        <Text size="sm">Last fetch error: none</Text>
      )}
      {status.keys.length === 0 && pending ? (
        <Text size="sm" role="status">
          Fetching its keys for the first time…
        </Text>
      ) : status.keys.length === 0 ? (
        <Empty>No usable key is held: every assertion of this issuer is refused.</Empty>
      ) : (
        <DataTable label="Keys held" columns={['kid', 'Type', 'Algorithm', 'Use']} withTableBorder>
          {status.keys.map((key, index) => (
            <Table.Tr key={`${key.kid ?? ''}-${index}`}>
              <KidCell kid={key.kid} />
              <Table.Td>{[key.kty, key.crv].filter(Boolean).join(' ')}</Table.Td>
              <Table.Td>{key.alg ?? 'any allowed'}</Table.Td>
              <Table.Td>{key.use ?? '—'}</Table.Td>
            </Table.Tr>
          ))}
        </DataTable>
      )}
      {status.ignored !== undefined && status.ignored.length > 0 && (
        <>
          <Text size="sm" fw={600}>
            Ignored keys (not used for signatures)
          </Text>
          <DataTable label="Ignored keys" columns={['kid', 'Why ignored']} withTableBorder>
            {status.ignored.map((key, index) => (
              <Table.Tr key={`${key.kid ?? ''}-${index}`}>
                <KidCell kid={key.kid} />
                <Table.Td>{key.reason}</Table.Td>
              </Table.Tr>
            ))}
          </DataTable>
        </>
      )}
    </Stack>
  );
}

/** A key's `kid`, or a note that it has none. */
function KidCell({ kid }: { kid: string | null | undefined }) {
  return (
    <Table.Td>
      <Code>{kid ?? '(no kid)'}</Code>
    </Table.Td>
  );
}
