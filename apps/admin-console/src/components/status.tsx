/** A party's status (`active` or `disabled`) and the two buttons that change it. */
import { Badge, Button } from '@mantine/core';

export type PartyStatus = 'active' | 'disabled';

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge color={status === 'active' ? 'green' : 'gray'} variant={status === 'active' ? 'light' : 'outline'}>
      {status}
    </Badge>
  );
}

/** "Disable" and "Enable", each offered only when it would change something; `busy` is the running action's label. */
export function StatusButtons({ status, busy, onChange }: { status: PartyStatus; busy: string | null; onChange(status: PartyStatus): void }) {
  return (
    <>
      <Button color="orange" variant="light" disabled={status === 'disabled'} loading={busy === 'Disable'} onClick={() => onChange('disabled')}>
        Disable
      </Button>
      <Button color="green" variant="light" disabled={status === 'active'} loading={busy === 'Enable'} onClick={() => onChange('active')}>
        Enable
      </Button>
    </>
  );
}

/** The label of the action that sets `status`, as the buttons show it. */
export const statusAction = (status: PartyStatus) => (status === 'active' ? 'Enable' : 'Disable');
