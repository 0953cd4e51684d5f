/** Loading, empty and error states shared by the pages. */
import { Alert, Center, Loader, Text } from '@mantine/core';
import { ApiError } from '../api';

export function Loading({ what }: { what: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Loader size="sm" mr="sm" aria-hidden />
      <Text>Loading {what}…</Text>
    </Center>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return (
    <Text c="dimmed" py="lg" ta="center">
      {children}
    </Text>
  );
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.status > 0 ? `${error.description} (HTTP ${error.status}, ${error.code})` : error.description;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNote({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  return (
    <Alert color="red" title={title} role="alert">
      {describeError(error)}
    </Alert>
  );
}
