import { Alert, Button, Container, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api';
import { describeError } from '../components/states';
import { useSession } from '../session';

/** Sign in with the admin API key; the key is checked against the API before it is kept. */
export function SignInPage() {
  const { apiFor, signIn } = useSession();
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const candidate = key.trim();
    if (candidate === '') {
      setProblem('Enter the admin API key (npm start prints it).');
      return;
    }
    setChecking(true);
    setProblem(null);
    try {
      await apiFor(candidate).get('/v1/issuers', { limit: 1 });
      signIn(candidate);
    } catch (error) {
      setProblem(error instanceof ApiError && error.status === 401 ? 'This key was refused: it is not the admin API key.' : describeError(error));
      setChecking(false);
    }
  };

  return (
    <Container size={460} py={80} component="main">
      <Title order={1} size="h2" mb="xs">
        Trust Broker admin console
      </Title>
      <Text c="dimmed" mb="lg">
        Sign in with the admin API key. It is kept in this tab only, until you sign out or close it.
      </Text>
      <Paper withBorder p="lg" radius="md">
        <form onSubmit={submit} noValidate>
          <Stack>
            <PasswordInput
              label="Admin API key"
              value={key}
              onChange={(event) => setKey(event.currentTarget.value)}
              error={problem}
              autoComplete="off"
              autoFocus
              data-autofocus
            />
            <Button type="submit" loading={checking}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
      <Alert mt="lg" color="gray" variant="light" title="Where is the key?">
        A local <code>npm start</code> prints it and keeps it in <code>.data/local-secrets.json</code>; a deployment takes it from{' '}
        <code>ADMIN_API_KEY</code>.
      </Alert>
    </Container>
  );
}
