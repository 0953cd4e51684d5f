import { MantineProvider, createTheme, type CSSVariablesResolver } from '@mantine/core';
import { Navigate, Route, Routes } from 'react-router';
import { Shell } from './components/Shell';
import { AuditPage } from './pages/AuditPage';
import { ClientFormPage } from './pages/ClientFormPage';
import { ClientPage } from './pages/ClientPage';
import { ClientsPage } from './pages/ClientsPage';
import { IssuerFormPage } from './pages/IssuerFormPage';
import { IssuerPage } from './pages/IssuerPage';
import { IssuersPage } from './pages/IssuersPage';
import { SignInPage } from './pages/SignInPage';
import { SessionProvider, useSession } from './session';

const theme = createTheme({
  primaryColor: 'indigo',
  // Dark enough on white for WCAG AA at every size the console uses.
  primaryShade: 8,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
});

// Mantine's light scheme draws dimmed text, errors and light-variant badges, alerts and
// buttons in shade 6, under WCAG AA contrast (3.3:1 at best, 2.3:1 for yellow on its tint).
// These darker colours reach 4.5:1 on white and on their own light tints (axe checks it).
const READABLE: Record<string, string> = {
  red: '#a51d1d',
  green: '#1d6b2f',
  orange: '#8f3b00',
  yellow: '#6e4b00',
  indigo: '#2f3a95',
  gray: '#343a40',
  blue: '#1c4f91',
};
const resolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': READABLE.red!,
    ...Object.fromEntries(Object.entries(READABLE).flatMap(([color, hex]) => [[`--mantine-color-${color}-light-color`, hex], [`--mantine-color-${color}-outline`, hex], [`--mantine-color-${color}-text`, hex]])),
  },
  dark: {},
});

export function ConsoleApp({ styleNonce, fetcher }: { styleNonce: string; fetcher?: typeof fetch }) {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={resolver} getStyleNonce={() => styleNonce} defaultColorScheme="light">
      <SessionProvider fetcher={fetcher}>
        <ConsoleRoutes />
      </SessionProvider>
    </MantineProvider>
  );
}

function ConsoleRoutes() {
  const { api } = useSession();
  if (api === null) return <SignInPage />;
  return (
    <Shell>
      <Routes>
        <Route path="/" element={<Navigate to="/issuers" replace />} />
        <Route path="/issuers" element={<IssuersPage />} />
        <Route path="/issuers/new" element={<IssuerFormPage />} />
        <Route path="/issuers/:id" element={<IssuerPage />} />
        <Route path="/issuers/:id/edit" element={<IssuerFormPage />} />
        <Route path="/clients" element={<ClientsPage />} />
        <Route path="/clients/new" element={<ClientFormPage />} />
        <Route path="/clients/:clientId" element={<ClientPage />} />
        <Route path="/audit" element={<AuditPage />} />
        <Route path="*" element={<Navigate to="/issuers" replace />} />
      </Routes>
    </Shell>
  );
}
