import { Anchor, Button, Checkbox, Group, NativeSelect, Paper, Stack, TextInput, Textarea, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { Client } from '../api';
import { SECRET_METHODS, clientOptionsFrom } from '../clients-model';
import { SecretOnce } from '../components/SecretOnce';
import { ErrorNote } from '../components/states';
import { parseJsonField, placeError, type FieldErrors } from '../forms';
import { useLoad } from '../hooks';
import { useApi } from '../session';

const FIELDS = ['client_id', 'client_name', 'token_endpoint_auth_method', 'grant_types', 'scope', 'jwks', 'jwks_uri', 'federated_credentials', 'client_assertion_reuse'];

/** Add a client; a secret-based method shows its generated secret here, once. */
export function ClientFormPage() {
  const api = useApi();
  const [name, setName] = useState('');
  const [clientId, setClientId] = useState('');
  const [method, setMethod] = useState('private_key_jwt');
  const [grants, setGrants] = useState<string[]>(['client_credentials']);
  const [scope, setScope] = useState('');
  const [jwks, setJwks] = useState('');
  const [jwksUri, setJwksUri] = useState('');
  const [federated, setFederated] = useState('');
  const [reuse, setReuse] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<unknown>(undefined);
  const [saving, setSaving] = useState(false);
  const [created, setCreated] = useState<(Client & { client_secret?: string }) | null>(null);
  const openApi = useLoad(() => api.get<Parameters<typeof clientOptionsFrom>[0]>('/openapi.json').catch(() => null), [api]);
  const options = clientOptionsFrom(openApi.data ?? null);

  const clear = (field: string) => setErrors(({ [field]: _gone, ...rest }) => rest);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body: Record<string, unknown> = { token_endpoint_auth_method: method, grant_types: grants, scope: scope.trim().split(/\s+/).filter(Boolean).join(' ') };
    const problems: FieldErrors = {};
    if (name.trim() !== '') body.client_name = name.trim();
    if (clientId.trim() !== '') body.client_id = clientId.trim();
    if (method === 'private_key_jwt') {
      if (jwks.trim() !== '') {
        const parsed = parseJsonField(jwks, 'jwks');
        if ('problem' in parsed) problems.jwks = parsed.problem;
        else body.jwks = parsed.value;
      }
      if (jwksUri.trim() !== '') body.jwks_uri = jwksUri.trim();
    }
    if (method === 'federated_jwt') {
      const parsed = parseJsonField(federated.trim() || '[]', 'federated_credentials');
      if ('problem' in parsed) problems.federated_credentials = parsed.problem;
      else body.federated_credentials = parsed.value;
    }
    if (method === 'private_key_jwt' || method === 'client_secret_jwt' || method === 'federated_jwt') body.client_assertion_reuse = reuse;
    setGeneral(undefined);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setSaving(true);
    try {
      setCreated(await api.post<Client & { client_secret?: string }>('/v1/clients', body));
    } catch (error) {
      const placed = placeError(error, FIELDS);
      setErrors(placed.fieldErrors);
      setGeneral(placed.general);
    } finally {
      setSaving(false);
    }
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
    <>
      <Anchor component={Link} to="/clients" size="sm">
        ← Clients
      </Anchor>
      <Title order={2} my="md">
        Add client
      </Title>
      <Paper withBorder p="lg" maw={820}>
        <form onSubmit={submit} noValidate aria-label="Add client">
          <Stack>
            {general !== undefined && <ErrorNote error={general} title="Not saved" />}
            <TextInput label="Client name" value={name} onChange={(e) => (setName(e.currentTarget.value), clear('client_name'))} error={errors.client_name} />
            <TextInput
              label="Client ID"
              description="Leave empty to have one generated"
              value={clientId}
              onChange={(e) => (setClientId(e.currentTarget.value), clear('client_id'))}
              error={errors.client_id}
            />
            <NativeSelect
              label="Authentication method"
              data={options.methods}
              value={method}
              onChange={(e) => (setMethod(e.currentTarget.value), clear('token_endpoint_auth_method'))}
              error={errors.token_endpoint_auth_method}
              description={SECRET_METHODS.has(method) ? 'The registry generates the secret and shows it once, after Save.' : undefined}
            />
            <Checkbox.Group label="Grant types" value={grants} onChange={(value) => (setGrants(value), clear('grant_types'))} error={errors.grant_types}>
              <Group mt="xs">
                {options.grants.map((grant) => (
                  <Checkbox key={grant.value} value={grant.value} label={grant.label} />
                ))}
              </Group>
            </Checkbox.Group>
            <TextInput label="Scope" description="Space-separated scopes it may obtain" value={scope} onChange={(e) => (setScope(e.currentTarget.value), clear('scope'))} error={errors.scope} />
            {method === 'private_key_jwt' && (
              <>
                <Textarea
                  label="JWKS"
                  description='Its public keys: {"keys": [...]} (or a JWKS URI below)'
                  autosize
                  minRows={3}
                  maxRows={12}
                  value={jwks}
                  onChange={(e) => (setJwks(e.currentTarget.value), clear('jwks'))}
                  error={errors.jwks}
                  styles={{ input: { fontFamily: 'monospace' } }}
                />
                <TextInput label="JWKS URI" value={jwksUri} onChange={(e) => (setJwksUri(e.currentTarget.value), clear('jwks_uri'))} error={errors.jwks_uri} />
              </>
            )}
            {method === 'federated_jwt' && (
              <Textarea
                label="Federated credentials"
                description='JSON list of {"issuer": <iss of a trusted issuer>, "subject": <exact sub>}'
                autosize
                minRows={3}
                value={federated}
                onChange={(e) => (setFederated(e.currentTarget.value), clear('federated_credentials'))}
                error={errors.federated_credentials}
                styles={{ input: { fontFamily: 'monospace' } }}
              />
            )}
            {(method === 'private_key_jwt' || method === 'client_secret_jwt' || method === 'federated_jwt') && (
              <Checkbox
                label="Reusable client assertions"
                description="Accept a long-lived assertion many times until it expires or is revoked (otherwise single-use)"
                checked={reuse}
                onChange={(e) => (setReuse(e.currentTarget.checked), clear('client_assertion_reuse'))}
                error={errors.client_assertion_reuse}
              />
            )}
            <Group>
              <Button type="submit" loading={saving}>
                Save
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
    </>
  );
}
