import { Alert, Checkbox, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import type { ExpressionCheck, Issuer } from '../api';
import { CodeInput } from '../components/CodeInput';
import { FormFrame } from '../components/FormFrame';
import { JwksInput } from '../components/JwksInput';
import { ErrorNote, Loading } from '../components/states';
import { placeError, putJsonField, splitList, splitWords, useFormState, useSubmit, type FieldErrors } from '../forms';
import { useLoad } from '../hooks';
import { useApi } from '../session';

type IssuerForm = {
  issuer: string;
  display_name: string;
  jwks_uri: string;
  discovery: boolean;
  jwks: string;
  subjects: string;
  allowed_scopes: string;
  audiences: string;
  accepted_audiences: string;
  condition: string;
  claim_mappings: string;
};

const FIELDS = ['issuer', 'display_name', 'jwks_uri', 'discovery', 'jwks', 'subjects', 'allowed_scopes', 'audiences', 'accepted_audiences', 'condition', 'claim_mappings'] as const;

const EMPTY: IssuerForm = {
  issuer: '',
  display_name: '',
  jwks_uri: '',
  discovery: false,
  jwks: '',
  subjects: '*',
  allowed_scopes: '',
  audiences: '',
  accepted_audiences: '',
  condition: '',
  claim_mappings: '',
};

function formOf(issuer: Issuer): IssuerForm {
  return {
    issuer: issuer.issuer,
    display_name: issuer.display_name === issuer.issuer ? '' : issuer.display_name,
    jwks_uri: issuer.discovery ? '' : (issuer.jwks_uri ?? ''),
    discovery: issuer.discovery,
    jwks: issuer.jwks === null ? '' : JSON.stringify(issuer.jwks, null, 2),
    subjects: issuer.subjects.join('\n'),
    allowed_scopes: issuer.allowed_scopes.join(' '),
    audiences: issuer.audiences.join(' '),
    accepted_audiences: issuer.accepted_audiences.join(' '),
    condition: issuer.condition ?? '',
    claim_mappings: issuer.claim_mappings === null ? '' : JSON.stringify(issuer.claim_mappings, null, 2),
  };
}

/** The API body of a form; JSON that does not parse is reported beside its field. */
function bodyOf(form: IssuerForm): { body: Record<string, unknown>; problems: FieldErrors } {
  const problems: FieldErrors = {};
  const body: Record<string, unknown> = {
    issuer: form.issuer.trim(),
    display_name: form.display_name.trim() === '' ? form.issuer.trim() : form.display_name.trim(),
    jwks_uri: form.jwks_uri.trim() === '' ? null : form.jwks_uri.trim(),
    discovery: form.discovery,
    jwks: null,
    subjects: splitList(form.subjects),
    allowed_scopes: splitWords(form.allowed_scopes),
    audiences: splitWords(form.audiences),
    accepted_audiences: splitWords(form.accepted_audiences),
    condition: form.condition.trim() === '' ? null : form.condition.trim(),
    claim_mappings: null,
  };
  if (form.jwks.trim() !== '') putJsonField(form.jwks, 'jwks', body, problems);
  if (form.claim_mappings.trim() !== '') putJsonField(form.claim_mappings, 'claim_mappings', body, problems);
  return { body, problems };
}

/** Add (no id) or edit (/issuers/:id/edit) a trusted issuer. */
export function IssuerFormPage() {
  const { id } = useParams();
  const api = useApi();
  const existing = useLoad(() => (id === undefined ? Promise.resolve(null) : api.get<Issuer>(`/v1/issuers/${encodeURIComponent(id)}`)), [api, id]);
  if (existing.error !== undefined) return <ErrorNote error={existing.error} title="The issuer could not be loaded" />;
  if (existing.data === undefined) return <Loading what="the issuer" />;
  return <IssuerFormView original={existing.data} />;
}

function IssuerFormView({ original }: { original: Issuer | null }) {
  const api = useApi();
  const navigate = useNavigate();
  const { form, errors, setErrors, bind } = useFormState<IssuerForm>(() => (original === null ? EMPTY : formOf(original)));
  const { general, saving, submit } = useSubmit(FIELDS, setErrors);
  const expressionProblems = useExpressionCheck(form.condition, form.claim_mappings);

  const save = (event: FormEvent) => {
    event.preventDefault();
    const { body, problems } = bodyOf(form);
    void submit(problems, async () => {
      let saved: Issuer;
      if (original === null) {
        // Accepted audiences left empty take the registry's default (the broker's own issuer).
        const omitted = (name: string, value: unknown) =>
          value === null || (name === 'discovery' && value === false) || (name === 'accepted_audiences' && Array.isArray(value) && value.length === 0);
        const created = Object.fromEntries(Object.entries(body).filter(([name, value]) => !omitted(name, value)));
        saved = await api.post<Issuer>('/v1/issuers', created);
      } else {
        saved = await api.patch<Issuer>(`/v1/issuers/${encodeURIComponent(original.id)}`, changesOf(bodyOf(formOf(original)).body, body));
      }
      navigate(`/issuers/${encodeURIComponent(saved.id)}`);
    });
  };

  const { text, check } = bind((name) => errors[name] ?? expressionProblems[name] ?? null);
  const back = original === null ? { to: '/issuers', label: 'Trusted issuers' } : { to: `/issuers/${encodeURIComponent(original.id)}`, label: original.display_name };
  return (
    <FormFrame back={back} title={original === null ? 'Add issuer' : `Edit ${original.issuer}`} onSubmit={save} general={general} saving={saving}>
      <TextInput
        label="Issuer"
        description="The exact iss value of its assertions"
        required
        {...text('issuer')}
        placeholder="https://idp.partner.example"
      />
      <TextInput label="Display name" {...text('display_name')} placeholder="the issuer, if empty" />
      <Text fw={600} size="sm" mt="xs">
        Key source (one of the three)
      </Text>
      <TextInput
        label="JWKS URI"
        description="Where its public keys are fetched"
        {...text('jwks_uri')}
        placeholder="https://idp.partner.example/.well-known/jwks.json"
      />
      <Checkbox
        label="Use discovery"
        description="Find the JWKS URI in the issuer's /.well-known/openid-configuration or oauth-authorization-server"
        {...check('discovery')}
      />
      <JwksInput label="Inline JWKS" description='Public keys as a JSON Web Key Set: {"keys": [...]}' {...text('jwks')} />
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Textarea
          label="Subjects"
          description="Accepted sub values, one per line; * accepts any"
          required
          autosize
          minRows={2}
          {...text('subjects')}
        />
        <Stack gap="sm">
          <TextInput label="Allowed scopes" description="Space-separated scopes its assertions may obtain" {...text('allowed_scopes')} />
          <TextInput label="Audiences" description="Space-separated aud values the issued tokens may carry" {...text('audiences')} />
          <TextInput
            label="Accepted audiences"
            description={
              original === null
                ? "Space-separated aud values its tokens must carry to serve in token exchange or as federated client assertions; empty: the broker's own issuer"
                : 'Space-separated aud values its tokens must carry to serve in token exchange or as federated client assertions; empty: none of its tokens serve there'
            }
            {...text('accepted_audiences')}
          />
        </Stack>
      </SimpleGrid>
      <CodeInput
        label="Condition (CEL)"
        description="Must be true of the assertion's claims, e.g. claims.email.endsWith('@partner.example'); checked by the registry as you type"
        minRows={1}
        {...text('condition')}
      />
      <CodeInput
        label="Claim mappings (CEL)"
        description='JSON object of output claim to CEL expression, e.g. {"email": "claims.email"}; checked as you type'
        minRows={1}
        {...text('claim_mappings')}
      />
      {original !== null && (
        <Alert color="gray" variant="light">
          Changing the key source replaces the keys held now; the others (algorithms, lifetimes, client rules) keep their values.
        </Alert>
      )}
    </FormFrame>
  );
}

/** The fields that differ; a changed key source is sent whole (the API replaces the source). */
function changesOf(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const changed = Object.fromEntries(Object.entries(after).filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(before[name])));
  const sourceChanged = ['jwks', 'jwks_uri', 'discovery'].some((name) => name in changed);
  if (!sourceChanged) return changed;
  const { jwks: _jwks, jwks_uri: _uri, discovery: _discovery, ...rest } = changed;
  return {
    ...rest,
    ...(after.jwks !== null ? { jwks: after.jwks } : {}),
    ...(after.jwks_uri !== null ? { jwks_uri: after.jwks_uri } : {}),
    ...(after.discovery === true ? { discovery: true } : {}),
  };
}

/**
 * Problems of the condition and claim mappings, found by the registry's own checks
 * (POST /v1/issuers/expressions/check) a moment after the admin stops typing.
 */
function useExpressionCheck(condition: string, claimMappings: string): FieldErrors {
  const api = useApi();
  const [debouncedCondition] = useDebouncedValue(condition.trim(), 300);
  const [debouncedMappings] = useDebouncedValue(claimMappings.trim(), 300);
  const [problems, setProblems] = useState<FieldErrors>({});
  useEffect(() => {
    let current = true;
    const found: FieldErrors = {};
    const body: Record<string, unknown> = {};
    if (debouncedCondition !== '') body.condition = debouncedCondition;
    if (debouncedMappings !== '') putJsonField(debouncedMappings, 'claim_mappings', body, found);
    if (Object.keys(body).length === 0) {
      setProblems(found);
      return;
    }
    api.post<ExpressionCheck>('/v1/issuers/expressions/check', body).then(
      (answer) => {
        if (!current) return;
        for (const problem of answer.problems) {
          const field = problem.field.startsWith('claim_mappings') ? 'claim_mappings' : problem.field;
          found[field] ??= problem.error_description;
        }
        setProblems(found);
      },
      (error: unknown) => {
        // A body the check refuses (claim mappings not an object of strings) is worded by the API.
        if (current) setProblems({ ...found, ...placeError(error, ['condition', 'claim_mappings']).fieldErrors });
      },
    );
    return () => {
      current = false;
    };
  }, [api, debouncedCondition, debouncedMappings]);
  return problems;
}
