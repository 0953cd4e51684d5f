import { Alert, Badge, Button, Checkbox, Code, Group, NativeSelect, Paper, Progress, SimpleGrid, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, type AuditEvent, type MinuteCount, type Page, type VerifyProgress, type VerifyReport } from '../api';
import { DataTable } from '../components/DataTable';
import { ListHeader } from '../components/headers';
import { Pager } from '../components/Pager';
import { RequestsChart } from '../components/RequestsChart';
import { Empty, ErrorNote, Loading, describeError } from '../components/states';
import { placeError, type FieldErrors } from '../forms';
import { formatTime } from '../format';
import { useCursorPages, useLoad } from '../hooks';
import { reasonInWords } from '../reasons';
import { useApi } from '../session';

const PAGE_SIZE = 50;

interface Filters {
  type: string;
  outcome: string;
  issuer: string;
  client_id: string;
  subject: string;
  since: string;
  until: string;
}

const NO_FILTERS: Filters = { type: '', outcome: '', issuer: '', client_id: '', subject: '', since: '', until: '' };

/** `datetime-local` text (the browser's time zone) to RFC 3339, or the text itself for the API to judge. */
function toRfc3339(local: string): string {
  if (local === '') return '';
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

export function AuditPage() {
  const api = useApi();
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const pages = useCursorPages();
  const query = { ...filters, since: toRfc3339(filters.since), until: toRfc3339(filters.until), limit: PAGE_SIZE, cursor: pages.cursor };
  const events = useLoad(() => api.get<Page<AuditEvent>>('/v1/audit/events', query), [api, JSON.stringify(query)]);
  const [chartEnd, setChartEnd] = useState(() => new Date());
  const chart = useLoad(
    () =>
      api.get<{ items: MinuteCount[] }>('/v1/audit/events/per-minute', {
        type: 'token',
        since: new Date(chartEnd.getTime() - 60 * 60_000).toISOString(),
        until: chartEnd.toISOString(),
      }),
    [api, chartEnd],
  );
  const verify = useVerifyChain();
  const [wholeChain, setWholeChain] = useState(false);
  const placed = events.error !== undefined ? placeError(events.error, Object.keys(NO_FILTERS)) : { fieldErrors: {} as FieldErrors, general: undefined };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
    pages.reset();
  };
  const refresh = () => {
    events.reload();
    setChartEnd(new Date());
  };
  const set = (name: keyof Filters) => (e: { currentTarget: { value: string } }) => setDraft({ ...draft, [name]: e.currentTarget.value });

  return (
    <>
      <ListHeader title="Audit">
        <Group gap="xs">
          <Button variant="default" onClick={refresh}>
            Refresh
          </Button>
          <Checkbox label="Walk the whole chain" checked={wholeChain} onChange={(e) => setWholeChain(e.currentTarget.checked)} disabled={verify.checking} />
          <Button onClick={() => verify.run(wholeChain)} loading={verify.checking}>
            Verify chain
          </Button>
          {verify.checking && verify.full && (
            <Button variant="subtle" color="red" onClick={verify.stop}>
              Stop verifying
            </Button>
          )}
        </Group>
      </ListHeader>
      {verify.checking && verify.full && <VerifyProgressBar progress={verify.progress} />}
      <VerifyResult report={verify.report} error={verify.error} stopped={verify.stopped} />
      <Paper withBorder p="md" mb="md">
        <Title order={3} size="h5" mb="xs">
          Token requests per minute, last hour
        </Title>
        {chart.error !== undefined ? (
          <Text size="sm" c="red">
            The counts could not be loaded: {describeError(chart.error)}
          </Text>
        ) : chart.data === undefined ? (
          <Loading what="counts" />
        ) : (
          <RequestsChart counts={chart.data.items} end={chartEnd} />
        )}
      </Paper>
      <Paper withBorder p="md" mb="md">
        <form onSubmit={apply} aria-label="Filters" noValidate>
          <SimpleGrid cols={{ base: 2, md: 4 }} spacing="xs">
            <NativeSelect
              label="Type"
              value={draft.type}
              onChange={set('type')}
              error={placed.fieldErrors.type}
              data={[{ value: '', label: 'any' }, 'token', 'introspection', 'revocation', 'admin']}
            />
            <NativeSelect label="Outcome" value={draft.outcome} onChange={set('outcome')} error={placed.fieldErrors.outcome} data={[{ value: '', label: 'any' }, 'success', 'failure']} />
            <TextInput label="Issuer (iss)" value={draft.issuer} onChange={set('issuer')} error={placed.fieldErrors.issuer} />
            <TextInput label="Client ID" value={draft.client_id} onChange={set('client_id')} error={placed.fieldErrors.client_id} />
            <TextInput label="Subject" value={draft.subject} onChange={set('subject')} error={placed.fieldErrors.subject} />
            <TextInput label="Since" type="datetime-local" step={1} value={draft.since} onChange={set('since')} error={placed.fieldErrors.since} />
            <TextInput label="Until" type="datetime-local" step={1} value={draft.until} onChange={set('until')} error={placed.fieldErrors.until} />
            <Group align="flex-end" gap="xs">
              <Button type="submit">Apply filters</Button>
              <Button
                variant="subtle"
                onClick={() => {
                  setDraft(NO_FILTERS);
                  setFilters(NO_FILTERS);
                  pages.reset();
                }}
              >
                Clear
              </Button>
            </Group>
          </SimpleGrid>
        </form>
      </Paper>
      {placed.general !== undefined ? (
        <ErrorNote error={placed.general} title="The events could not be loaded" />
      ) : events.error !== undefined ? null : events.data === undefined ? (
        <Loading what="audit events" />
      ) : events.data.items.length === 0 ? (
        <Empty>{pages.isFirst ? 'No event matches these filters.' : 'No older event.'}</Empty>
      ) : (
        <>
          <EventsTable events={events.data.items} />
          <Pager pages={pages} nextCursor={events.data.next_cursor} labels={['Newer events', 'Older events']} />
        </>
      )}
    </>
  );
}

const EVENT_COLUMNS = ['#', 'Time', 'Type', 'Outcome', 'Reason', 'Issuer', 'Client', 'Subject', 'Detail'];

function EventsTable({ events }: { events: AuditEvent[] }) {
  return (
    <Table.ScrollContainer minWidth={900}>
      <DataTable label="Audit events" columns={EVENT_COLUMNS} striped verticalSpacing={4} fz="sm">
        {events.map((event) => (
          <Table.Tr key={event.id}>
            <Table.Td>{event.seq ?? ''}</Table.Td>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatTime(event.occurred_at)}</Table.Td>
            <Table.Td>{event.type}</Table.Td>
            <Table.Td miw={96}>
              <Badge color={event.outcome === 'success' ? 'green' : 'red'} variant="light">
                {event.outcome}
              </Badge>
            </Table.Td>
            <Table.Td>
              {event.reason !== null && (
                <Tooltip label={`${event.reason}${event.error ? ` → ${event.error}` : ''}`}>
                  <span>
                    {reasonInWords(event.reason)} <Code>{event.reason}</Code>
                  </span>
                </Tooltip>
              )}
            </Table.Td>
            <Table.Td>{event.issuer ?? ''}</Table.Td>
            <Table.Td>{event.client_id ?? ''}</Table.Td>
            <Table.Td>{event.subject ?? ''}</Table.Td>
            <Table.Td>
              {event.action ?? (event.grant_type ? event.grant_type.replace('urn:ietf:params:oauth:grant-type:', '') : '')}
              {event.kid ? ` · kid ${event.kid}` : ''}
            </Table.Td>
          </Table.Tr>
        ))}
      </DataTable>
    </Table.ScrollContainer>
  );
}

/**
 * GET /v1/audit/verify: walks the hash chain, by default from the last verified checkpoint.
 * The whole chain (`?full=true`) can take minutes: it is asked as NDJSON, whose progress
 * lines (about one a second) are shown while it runs, and it can be stopped (the audit
 * worker stops a walk whose client went away).
 */
function useVerifyChain() {
  const api = useApi();
  const [report, setReport] = useState<VerifyReport | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [checking, setChecking] = useState(false);
  const [full, setFull] = useState(false);
  const [progress, setProgress] = useState<VerifyProgress | null>(null);
  const [stopped, setStopped] = useState(false);
  const running = useRef<AbortController | null>(null);
  useEffect(() => () => running.current?.abort(), []);

  const run = async (wholeChain: boolean) => {
    const abort = new AbortController();
    running.current = abort;
    setChecking(true);
    setFull(wholeChain);
    setError(undefined);
    setReport(null);
    setProgress(null);
    setStopped(false);
    try {
      if (!wholeChain) {
        setReport(await api.get<VerifyReport>('/v1/audit/verify'));
        return;
      }
      let last: VerifyReport | null = null;
      await api.lines<{ progress?: VerifyProgress; error?: string; error_description?: string } & Partial<VerifyReport>>(
        '/v1/audit/verify',
        { full: 'true' },
        (line) => {
          if (line.progress !== undefined) setProgress(line.progress);
          else if (typeof line.error === 'string') throw new ApiError(0, line.error, line.error_description ?? 'The verification failed.'); // after a 200 head: no status of its own
          else last = line as VerifyReport;
        },
        abort.signal,
      );
      if (last === null) throw new ApiError(0, 'network_error', 'The answer was cut off before it ended.');
      setReport(last);
    } catch (caught) {
      if (abort.signal.aborted) setStopped(true);
      else setError(caught);
    } finally {
      if (running.current === abort) running.current = null;
      setChecking(false);
    }
  };
  const stop = () => running.current?.abort();
  return { report, error, checking, full, progress, stopped, run, stop };
}

/** Where a whole-chain walk is: the last sequence number checked of the snapshot's last. */
function VerifyProgressBar({ progress }: { progress: VerifyProgress | null }) {
  const percent = progress === null || progress.last === 0 ? 0 : Math.min(100, Math.floor((progress.seq / progress.last) * 100));
  return (
    <Paper withBorder p="sm" mb="md">
      <Text size="sm" mb={6}>
        {progress === null
          ? 'Walking the whole chain…'
          : `Walking the whole chain: checked through sequence number ${progress.seq} of ${progress.last} (${progress.checked} events checked)`}
      </Text>
      <Progress.Root size="md">
        <Progress.Section value={percent} aria-label="Verification progress" />
      </Progress.Root>
    </Paper>
  );
}

/** "Chain intact", or the first broken sequence number and why. */
function VerifyResult({ report, error, stopped }: { report: VerifyReport | null; error: unknown; stopped: boolean }) {
  const scope = report?.full === true ? ' (the whole chain)' : '';
  return (
    <div role="status" aria-live="polite">
      {report !== null &&
        (report.intact ? (
          <Alert color="green" variant="light" title="Chain intact" mb="md">
            {report.checked} events checked{scope}: none was changed, removed or reordered.
          </Alert>
        ) : (
          <Alert color="red" variant="light" title={`Chain broken at sequence number ${report.broken_at}`} mb="md">
            {report.reason ?? 'An event does not match the chain.'} ({report.checked} events checked{scope})
          </Alert>
        ))}
      {stopped && (
        <Text size="sm" mb="md">
          Verification stopped: nothing was concluded.
        </Text>
      )}
      {error !== undefined && <ErrorNote error={error} title="The chain could not be verified" />}
    </div>
  );
}
