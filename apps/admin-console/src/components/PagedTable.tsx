import type { ReactNode } from 'react';
import type { Page } from '../api';
import { useCursorPages, useLoad } from '../hooks';
import { useApi } from '../session';
import { DataTable } from './DataTable';
import { Pager } from './Pager';
import { Empty, ErrorNote, Loading } from './states';

const PAGE_SIZE = 25;

interface PagedTableProps<T> {
  /** The admin API list (`GET /v1/issuers`, `GET /v1/clients`). */
  path: string;
  /** The table's accessible name. */
  label: string;
  columns: readonly string[];
  row(item: T): ReactNode;
  /** What is loading ("clients"), the title of a failure, the text of an empty list. */
  loading: string;
  failedTitle: string;
  empty: ReactNode;
}

/** A resource list of the admin API, a page at a time, with its loading, failure and empty states. */
export function PagedTable<T>({ path, label, columns, row, loading, failedTitle, empty }: PagedTableProps<T>) {
  const api = useApi();
  const pages = useCursorPages();
  const page = useLoad(() => api.get<Page<T>>(path, { limit: PAGE_SIZE, cursor: pages.cursor }), [api, path, pages.cursor]);
  if (page.error !== undefined) return <ErrorNote error={page.error} title={failedTitle} />;
  if (page.data === undefined) return <Loading what={loading} />;
  if (page.data.items.length === 0 && pages.isFirst) return <Empty>{empty}</Empty>;
  return (
    <>
      <DataTable label={label} columns={columns} striped highlightOnHover>
        {page.data.items.map(row)}
      </DataTable>
      <Pager pages={pages} nextCursor={page.data.next_cursor} />
    </>
  );
}
