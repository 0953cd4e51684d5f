import { Button, Group, Paper, Stack, Title } from '@mantine/core';
import type { FormEvent, ReactNode } from 'react';
import { BackLink } from './headers';
import { ErrorNote } from './states';

interface FormFrameProps {
  back: { to: string; label: string };
  /** The page's heading and the form's accessible name. */
  title: string;
  onSubmit(event: FormEvent): void;
  /** An error that names no field of the form, shown above it. */
  general: unknown;
  saving: boolean;
  children: ReactNode;
}

/** An add or edit form of the admin API: way back, heading, the fields, and "Save". */
export function FormFrame({ back, title, onSubmit, general, saving, children }: FormFrameProps) {
  return (
    <>
      <BackLink to={back.to}>{back.label}</BackLink>
      <Title order={2} my="md">
        {title}
      </Title>
      <Paper withBorder p="lg" maw={820}>
        <form onSubmit={onSubmit} noValidate aria-label={title}>
          <Stack>
            {general !== undefined && <ErrorNote error={general} title="Not saved" />}
            {children}
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
