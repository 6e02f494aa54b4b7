import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { consoleAssetsDir } from '@llmteam/console';
import express, { type Express, type Request } from 'express';
import { page } from './html.js';

/** Options of {@link mountConsole}. */
export interface ConsoleOptions {
  /** Folder of the built console (`index.html`, `assets/`). @default the `@llmteam/console` package's build */
  dir?: string;
}

// The console only talks to this origin (HTTP and graphql-ws); React Flow sets inline styles;
// GraphiQL's stylesheet carries its fonts as data: URLs.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Paths of the console's own pages: a reload or a shared link must land on the app. */
const ROUTES = [
  '/',
  '/inbox',
  '/runs',
  '/runs/*rest',
  '/segments',
  '/segments/*rest',
  '/canvas',
  '/canvas/*rest',
];

function wantsHtml(req: Request): boolean {
  return req.accepts(['json', 'html']) === 'html' && !req.query.query;
}

/**
 * Serves the web console at `/` (its routes fall back to `index.html`) and its GraphQL
 * explorer when a browser opens `GET /graphql`. Mount it before the GraphQL endpoint: the
 * explorer route passes API requests (`?query=`, JSON accept headers) through.
 */
export function mountConsole(app: Express, options: ConsoleOptions = {}): void {
  const dir = options.dir ?? consoleAssetsDir;
  const index = join(dir, 'index.html');
  const missing = page(
    'llmteam console not built',
    '<h1>The console is not built</h1><p>Run <code>pnpm build</code> (or <code>pnpm --filter @llmteam/console build</code>) and reload.</p>',
  );
  const sendIndex = (res: express.Response) => {
    res.set('Content-Security-Policy', CSP).set('Cache-Control', 'no-cache');
    if (existsSync(index)) res.sendFile(index);
    else res.status(503).type('html').send(missing);
  };
  // Asset names carry a content hash, so they are cached for good; a missing one is a plain 404.
  app.use(
    '/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '1y', index: false }),
    (_req, res) => void res.status(404).type('text').send('Not found'),
  );
  app.get(ROUTES, (_req, res) => sendIndex(res));
  app.get('/graphql', (req, res, next) => (wantsHtml(req) ? sendIndex(res) : next()));
}
