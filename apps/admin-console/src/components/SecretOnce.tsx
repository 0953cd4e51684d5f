import { Alert, Button, Code, CopyButton, Group, Text } from '@mantine/core';

/** A client secret, shown this once: the API never answers it again. */
export function SecretOnce({ clientId, secret }: { clientId: string; secret: string }) {
  return (
    <Alert color="yellow" title="Client secret: shown once" role="status">
      <Text size="sm" mb="xs">
        Copy it now into the client's configuration or your secret manager. It cannot be shown again; if it is lost, rotate it.
      </Text>
      <Group gap="xs" wrap="nowrap">
        <Code aria-label={`Client secret of ${clientId}`} data-testid="client-secret">
          {secret}
        </Code>
        <CopyButton value={secret}>
          {({ copied, copy }) => (
            <Button size="xs" variant="light" color={copied ? 'green' : 'indigo'} onClick={copy}>
              {copied ? 'Copied' : 'Copy secret'}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Alert>
  );
}
