import { Button, Group, Paper, SegmentedControl, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useParams } from 'react-router';
import type { Client } from '../api';
import { SECRET_METHODS, grantLabel } from '../clients-model';
import { Field } from '../components/Field';
import { ResourceHeader } from '../components/headers';
import { SecretOnce } from '../components/SecretOnce';
import { StatusBadge, StatusButtons, statusAction, type PartyStatus } from '../components/status';
import { ErrorNote, Loading } from '../components/states';
import { useSubmit, type FieldErrors } from '../forms';
import { formatTime } from '../format';
import { useAction, useLoad } from '../hooks';
import { useApi } from '../session';

export function ClientPage() {
  const { clientId = '' } = useParams();
  const api = useApi();
  const path = `/v1/clients/${encodeURIComponent(clientId)}`;
  const client = useLoad(() => api.get<Client>(path), [api, path]);
  const [secret, setSecret] = useState<string | null>(null);
  const action = useAction(client.reload);

  if (client.error !== undefined) return <ErrorNote error={client.error} title="The client could not be loaded" />;
  if (client.data === undefined) return <Loading what="the client" />;
  const data = client.data;
  const usesSecret = SECRET_METHODS.has(data.token_endpoint_auth_method);
  const usesAssertions = ['private_key_jwt', 'client_secret_jwt', 'federated_jwt'].includes(data.token_endpoint_auth_method);
  const setStatus = (status: PartyStatus) => action.act(statusAction(status), () => api.patch(path, { status }));

  return (
    <>
      <ResourceHeader back={{ to: '/clients', label: 'Clients' }} title={data.client_name ?? data.client_id} idName="client_id" idValue={data.client_id}>
        <StatusBadge status={data.status} />
        <StatusButtons status={data.status} busy={action.busy} onChange={setStatus} />
      </ResourceHeader>
      <Stack maw={900}>
        {action.error !== undefined && <ErrorNote error={action.error} title="Not done" />}
        {secret !== null && <SecretOnce clientId={data.client_id} secret={secret} />}
        <Paper withBorder p="md">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
            <Field name="Authentication method" value={data.token_endpoint_auth_method} />
            <Field name="Grant types" value={data.grant_types.map(grantLabel).join(', ')} />
            <Field name="Scope" value={data.scope || 'none'} />
            <Field name="Signing algorithm" value={data.token_endpoint_auth_signing_alg ?? 'any allowed'} />
            <Field name="Keys" value={data.jwks_uri ?? (data.jwks !== null ? `${data.jwks.keys.length} inline` : '—')} />
            <Field name="Reusable client assertions" value={data.client_assertion_reuse ? 'yes' : 'no (single use)'} />
            {data.federated_credentials && <Field name="Federated credentials" value={data.federated_credentials.map((c) => `${c.issuer} · ${c.subject}`).join('; ')} />}
            <Field name="Created" value={formatTime(data.created_at)} />
          </SimpleGrid>
        </Paper>
        {usesSecret && (
          <Paper withBorder p="md">
            <Title order={3} size="h4" mb="xs">
              Secret
            </Title>
            <Text size="sm" mb="sm">
              Rotating makes a new secret; the old one stops working within 2 seconds.
            </Text>
            <Button
              variant="light"
              color="orange"
              loading={action.busy === 'Rotate secret'}
              onClick={() =>
                action.act('Rotate secret', async () => {
                  const answer = await api.post<{ client_secret: string }>(`${path}/secret`);
                  setSecret(answer.client_secret);
                })
              }
            >
              Rotate secret
            </Button>
          </Paper>
        )}
        {usesAssertions && <RevokeAssertion path={path} />}
      </Stack>
    </>
  );
}

/** Revoke one client assertion by its jti, or every assertion signed with a key by its kid. */
function RevokeAssertion({ path }: { path: string }) {
  const api = useApi();
  const [by, setBy] = useState<'jti' | 'kid'>('jti');
  const [value, setValue] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const { general, saving, submit } = useSubmit(['jti', 'kid'], setErrors);
  const [done, setDone] = useState<string | null>(null);

  const revoke = (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    void submit({}, async () => {
      await api.post(`${path}/assertion-revocations`, { [by]: value.trim() });
      setDone(by === 'jti' ? `The assertion with jti ${value.trim()} is refused from now on.` : `Every assertion signed with key ${value.trim()} is refused from now on.`);
      setValue('');
    });
  };

  return (
    <Paper withBorder p="md">
      <Title order={3} size="h4" mb="xs">
        Revoke an assertion
      </Title>
      <form onSubmit={revoke} noValidate aria-label="Revoke an assertion">
        <Stack gap="sm">
          <SegmentedControl
            aria-label="Revoke by"
            value={by}
            onChange={(next) => (setBy(next as 'jti' | 'kid'), setErrors({}))}
            data={[
              { value: 'jti', label: 'One assertion (jti)' },
              { value: 'kid', label: 'Every assertion of a key (kid)' },
            ]}
          />
          <TextInput
            label={by === 'jti' ? 'Assertion jti' : 'Key ID (kid)'}
            value={value}
            onChange={(e) => setValue(e.currentTarget.value)}
            error={errors[by]}
          />
          {general !== undefined && <ErrorNote error={general} title="Not revoked" />}
          {done !== null && (
            <Text size="sm" c="green" role="status">
              {done}
            </Text>
          )}
          <Group>
            <Button type="submit" color="red" variant="light" loading={saving}>
              Revoke
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
