/** The top of a page: a list's title and buttons, or a resource's way back, name and actions. */
import { Anchor, Code, Group, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';

export function ListHeader({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Group justify="space-between" mb="md">
      <Title order={2}>{title}</Title>
      {children}
    </Group>
  );
}

export function BackLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Anchor component={Link} to={to} size="sm">
      ← {children}
    </Anchor>
  );
}

interface ResourceHeaderProps {
  back: { to: string; label: string };
  title: string;
  /** What identifies it, e.g. `iss` and its value. */
  idName: string;
  idValue: string;
  /** Its badge and buttons. */
  children: ReactNode;
}

export function ResourceHeader({ back, title, idName, idValue, children }: ResourceHeaderProps) {
  return (
    <>
      <BackLink to={back.to}>{back.label}</BackLink>
      <Group justify="space-between" my="md" align="flex-start">
        <div>
          <Title order={2}>{title}</Title>
          <Text c="dimmed" size="sm">
            {idName} <Code>{idValue}</Code>
          </Text>
        </div>
        <Group gap="xs">{children}</Group>
      </Group>
    </>
  );
}
