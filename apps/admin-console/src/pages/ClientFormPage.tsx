import { Button, Checkbox, Group, NativeSelect, Stack, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { Client } from '../api';
import { SECRET_METHODS, clientOptionsFrom } from '../clients-model';
import { CodeInput } from '../components/CodeInput';
import { FormFrame } from '../components/FormFrame';
import { JwksInput } from '../components/JwksInput';
import { SecretOnce } from '../components/SecretOnce';
import { putJsonField, splitWords, useFormState, useSubmit, type FieldErrors } from '../forms';
import { useLoad } from '../hooks';
import { useApi } from '../session';

const FIELDS = ['client_id', 'client_name', 'token_endpoint_auth_method', 'grant_types', 'scope', 'jwks', 'jwks_uri', 'federated_credentials', 'client_assertion_reuse'];

type ClientForm = {
  client_name: string;
  client_id: string;
  token_endpoint_auth_method: string;
  grant_types: string[];
  scope: string;
  jwks: string;
  jwks_uri: string;
  federated_credentials: string;
  client_assertion_reuse: boolean;
};

const EMPTY: ClientForm = {
  client_name: '',
  client_id: '',
  token_endpoint_auth_method: 'private_key_jwt',
  grant_types: ['client_credentials'],
  scope: '',
  jwks: '',
  jwks_uri: '',
  federated_credentials: '',
  client_assertion_reuse: false,
};

const ASSERTION_METHODS = new Set(['private_key_jwt', 'client_secret_jwt', 'federated_jwt']);

/** The API body of a form; JSON that does not parse is reported beside its field. */
function bodyOf(form: ClientForm): { body: Record<string, unknown>; problems: FieldErrors } {
  const method = form.token_endpoint_auth_method;
  const body: Record<string, unknown> = { token_endpoint_auth_method: method, grant_types: form.grant_types, scope: splitWords(form.scope).join(' ') };
  const problems: FieldErrors = {};
  if (form.client_name.trim() !== '') body.client_name = form.client_name.trim();
  if (form.client_id.trim() !== '') body.client_id = form.client_id.trim();
  if (method === 'private_key_jwt') {
    if (form.jwks.trim() !== '') putJsonField(form.jwks, 'jwks', body, problems);
    if (form.jwks_uri.trim() !== '') body.jwks_uri = form.jwks_uri.trim();
  }
  if (method === 'federated_jwt') putJsonField(form.federated_credentials.trim() || '[]', 'federated_credentials', body, problems);
  if (ASSERTION_METHODS.has(method)) body.client_assertion_reuse = form.client_assertion_reuse;
  return { body, problems };
}

/** Add a client; a secret-based method shows its generated secret here, once. */
export function ClientFormPage() {
  const api = useApi();
  const { form, set, errors, setErrors, bind } = useFormState(EMPTY);
  const { general, saving, submit } = useSubmit(FIELDS, setErrors);
  const [created, setCreated] = useState<(Client & { client_secret?: string }) | null>(null);
  const openApi = useLoad(() => api.get<Parameters<typeof clientOptionsFrom>[0]>('/openapi.json').catch(() => null), [api]);
  const options = clientOptionsFrom(openApi.data ?? null);
  const { text, check } = bind();
  const method = form.token_endpoint_auth_method;

  const save = (event: FormEvent) => {
    event.preventDefault();
    const { body, problems } = bodyOf(form);
    void submit(problems, async () => setCreated(await api.post<Client & { client_secret?: string }>('/v1/clients', body)));
  };

  if (created !== null) {
    return (
      <>
        <Title order={2} mb="md">
          Client {created.client_id} added
        </Title>
        <Stack maw={820}>
          {created.client_secret !== undefined && <SecretOnce clientId={created.client_id} secret={created.client_secret} />}
          <Group>
            <Button component={Link} to={`/clients/${encodeURIComponent(created.client_id)}`}>
              Open the client
            </Button>
            <Button variant="default" component={Link} to="/clients">
              Back to clients
            </Button>
          </Group>
        </Stack>
      </>
    );
  }

  return (
    <FormFrame back={{ to: '/clients', label: 'Clients' }} title="Add client" onSubmit={save} general={general} saving={saving}>
      <TextInput label="Client name" {...text('client_name')} />
      <TextInput label="Client ID" description="Leave empty to have one generated" {...text('client_id')} />
      <NativeSelect
        label="Authentication method"
        data={options.methods}
        {...text('token_endpoint_auth_method')}
        description={SECRET_METHODS.has(method) ? 'The registry generates the secret and shows it once, after Save.' : undefined}
      />
      <Checkbox.Group label="Grant types" value={form.grant_types} onChange={(value) => set('grant_types', value)} error={errors.grant_types}>
        <Group mt="xs">
          {options.grants.map((grant) => (
            <Checkbox key={grant.value} value={grant.value} label={grant.label} />
          ))}
        </Group>
      </Checkbox.Group>
      <TextInput label="Scope" description="Space-separated scopes it may obtain" {...text('scope')} />
      {method === 'private_key_jwt' && (
        <>
          <JwksInput label="JWKS" description='Its public keys: {"keys": [...]} (or a JWKS URI below)' {...text('jwks')} />
          <TextInput label="JWKS URI" {...text('jwks_uri')} />
        </>
      )}
      {method === 'federated_jwt' && (
        <CodeInput
          label="Federated credentials"
          description='JSON list of {"issuer": <iss of a trusted issuer>, "subject": <exact sub>}'
          minRows={3}
          {...text('federated_credentials')}
        />
      )}
      {ASSERTION_METHODS.has(method) && (
        <Checkbox
          label="Reusable client assertions"
          description="Accept a long-lived assertion many times until it expires or is revoked (otherwise single-use)"
          {...check('client_assertion_reuse')}
        />
      )}
    </FormFrame>
  );
}
