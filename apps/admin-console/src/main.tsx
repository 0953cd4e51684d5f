import '@mantine/core/styles.css';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { ConsoleApp } from './ConsoleApp';

// The registry sends a Content-Security-Policy whose style-src allows one nonce per page
// load; Mantine's <style> elements must carry it.
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';

createRoot(document.getElementById('root')!).render(
  <BrowserRouter basename="/console">
    <ConsoleApp styleNonce={nonce} />
  </BrowserRouter>,
);
