import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { secretForms } from '@llmteam/core';
import {
  type SmtpTestServer,
  startSmtpServer,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@llmteam/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from './logger.js';
import { type Served, serve } from './serve.js';
import { eventually } from './test-support.js';

// One secret, served by the file provider (a mounted secrets folder), used by every channel
// and action of the gateway, each of which fails and quotes it back.
const CANARY = `canary${randomBytes(16).toString('hex')}`;
const ADMIN_KEY = 'llmt_canary-admin-key-0123456789abcdef';

/**
 * An answer body that quotes `echoed` so that the secret in it straddles character `cut`,
 * then quotes it once more whole: cut first and scrubbed after, half the secret would stay.
 */
function quoting(echoed: string, cut: number): string {
  const at = echoed.indexOf(CANARY);
  const before = cut - Math.floor(CANARY.length / 2) - Math.max(at, 0);
  return `${'.'.repeat(before)}${echoed} (received ${echoed})`;
}

/** Every piece of text the canary must not be found in: whole, encoded, or any 12 characters of it. */
const NEEDLES = [
  ...secretForms(CANARY),
  ...Array.from({ length: CANARY.length - 11 }, (_, i) => CANARY.slice(i, i + 12)),
];
function leaksIn(text: string): string[] {
  return NEEDLES.filter((needle) => text.includes(needle));
}

/** Raw graphql-transport-ws frames of one subscription, as they came over the wire. */
function subscribe(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  done: (frames: string[]) => boolean,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const frames: string[] = [];
    const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`subscription did not finish; got ${frames.length} frames`));
    }, 30_000);
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ADMIN_KEY}` } })),
    );
    ws.on('message', (data) => {
      const text = data.toString();
      frames.push(text);
      const frame = JSON.parse(text) as { type: string };
      if (frame.type === 'connection_ack')
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
      if (frame.type === 'error' || frame.type === 'complete' || done(frames)) {
        clearTimeout(timer);
        ws.close();
        resolve(frames);
      }
    });
    ws.on('error', reject);
  });
}

describe('a canary secret used by every failing channel and action', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-canary-'));
  const database = join(dir, 'llmteam.sqlite');
  const logLines: string[] = [];
  const graphql: string[] = [];
  let slack: WebhookReceiver;
  let hook: WebhookReceiver;
  let erp: WebhookReceiver;
  let smtp: SmtpTestServer;
  let served: Served;
  let closed = false;

  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(served.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    graphql.push(text);
    return JSON.parse(text) as { data?: any; errors?: Array<{ message: string }> };
  }

  beforeAll(async () => {
    // Slack's Web API refusing the token with 401, quoting the Authorization header back.
    slack = await startWebhookReceiver({
      reply: (r) => ({ status: 401, body: quoting(`invalid_auth: ${r.headers.authorization}`, 200) }),
    });
    // A webhook receiver failing with 500 and quoting the header it was sent.
    hook = await startWebhookReceiver({
      reply: (r) => ({ status: 500, body: quoting(`bad key ${r.headers.authorization}`, 200) }),
    });
    // The ERP behind the `erp_lookup` action, failing with 500 and echoing the bearer token.
    erp = await startWebhookReceiver({
      reply: (r) => ({ status: 500, body: quoting(`no access for ${r.headers.authorization}`, 2048) }),
    });
    // An SMTP server refusing the login, quoting the password it was given.
    smtp = await startSmtpServer({
      rejectAuth: ({ username, password }) => `Authentication failed for ${username}:${password}`,
    });

    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', 'canary_token'), `${CANARY}\n`);
    writeFileSync(
      join(dir, 'llmteam.config.json'),
      JSON.stringify({
        store: ['@llmteam/store-sqlite', { path: database }],
        secrets: { provider: 'file', dir: 'secrets' },
        outbound: { allow: ['127.0.0.1'] },
        actions: {
          erp_lookup: {
            type: 'webhook',
            url: `${erp.url}/inventory`,
            auth_type: 'bearer',
            auth_config: { token_secret: 'canary_token' },
            retry_count: 0,
          },
        },
        plugins: [
          [
            '@llmteam/notify-slack',
            { botTokenSecret: 'canary_token', channel: 'C1', apiBaseUrl: slack.url, maxAttempts: 1 },
          ],
          [
            '@llmteam/notify-email',
            {
              transport: {
                host: smtp.host,
                port: smtp.port,
                secure: false,
                ignoreTLS: true,
                auth: { user: 'llmteam' },
              },
              passwordSecret: 'canary_token',
              from: 'approvals@example.com',
              defaultTo: 'ops@example.com',
            },
          ],
          [
            '@llmteam/notify-webhook',
            {
              url: `${hook.url}/llmteam`,
              secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
              headerSecrets: { authorization: 'canary_token' },
              maxAttempts: 1,
            },
          ],
        ],
      }),
    );
    const logs = new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    });
    served = await serve({
      cwd: dir,
      port: 0,
      bootstrapApiKey: ADMIN_KEY,
      logger: createLogger({ level: 'trace', destination: logs }),
      pollIntervalMs: 50,
    });
  }, 60_000);

  afterAll(async () => {
    if (!closed) await served?.close('test finished');
    await Promise.all([slack?.close(), hook?.close(), erp?.close(), smtp?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reaches no log line, GraphQL response or error, audit entry, event, or byte of the SQLite file', async () => {
    const segments = [
      {
        segment_id: 'canary_approval',
        version: '1.0.0',
        steps: [
          {
            step_id: 'approve',
            step_type: 'human_task',
            config: { task_type: 'approval', title: 'Approve the canary', assignee_ref: 'alice' },
          },
        ],
      },
      {
        segment_id: 'canary_action',
        version: '1.0.0',
        steps: [{ step_id: 'lookup', step_type: 'action', config: { action: 'erp_lookup' } }],
      },
    ];
    for (const definition of segments) {
      const upserted = await gql('mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', {
        d: definition,
      });
      expect(upserted.errors).toBeUndefined();
    }
    const eventsQuery =
      'subscription($id: ID!) { runEvents(runId: $id, afterSeq: 0) { seq type stepId timestamp data } }';
    const notifiedFrames = (frames: string[]) =>
      frames.filter((f) => f.includes('interaction.notified')).length;

    // Every channel fails: Slack 401, SMTP authentication, webhook 500.
    const approval = await gql('mutation { startRun(segmentId: "canary_approval", input: {}) { id } }');
    const approvalId = approval.data.startRun.id as string;
    const approvalFrames = await subscribe(
      served.gateway.url,
      eventsQuery,
      { id: approvalId },
      (f) => notifiedFrames(f) >= 3,
    );
    // The action fails with 500.
    const action = await gql(
      'mutation { startRun(segmentId: "canary_action", input: { sku: "A1" }) { id } }',
    );
    const actionId = action.data.startRun.id as string;
    const actionFrames = await subscribe(served.gateway.url, eventsQuery, { id: actionId }, (f) =>
      f.some((frame) => frame.includes('run.failed')),
    );

    // Each far side did get the secret and quoted it back.
    expect(slack.requests[0]?.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(hook.requests[0]?.headers.authorization).toBe(CANARY);
    expect(erp.requests[0]?.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(smtp.messages).toHaveLength(0);
    const runFields =
      'id status error { code message details } steps { stepId status error { code message details } outputs } events(limit: 500) { seq type stepId data } interactions { id status title } snapshots { id reason checksum }';
    const notified = await eventually(async () => {
      const run = (await gql(`query($id: ID!) { run(id: $id) { ${runFields} } }`, { id: approvalId })).data
        ?.run;
      const events = (run?.events ?? []).filter((e: { type: string }) => e.type === 'interaction.notified');
      return events.length === 3 ? events : undefined;
    }, 'three notification results');
    expect(
      Object.fromEntries(
        notified.map((e: { data: { channel: string; ok: boolean } }) => [e.data.channel, e.data.ok]),
      ),
    ).toEqual({ slack: false, email: false, webhook: false });
    const errors = notified.map((e: { data: { error: string } }) => e.data.error).join('\n');
    expect(errors).toMatch(/HTTP 401/);
    expect(errors).toMatch(/535/);
    expect(errors).toMatch(/HTTP 500/);
    expect(errors).toContain('[secret]');
    const failed = (await gql(`query($id: ID!) { run(id: $id) { ${runFields} } }`, { id: actionId })).data
      .run;
    expect(failed.status).toBe('FAILED');
    expect(failed.steps[0].error.code).toBe('LLMT_E_ACTION_FAILED');
    expect(failed.steps[0].error.details.response_code).toBe(500);

    // Everything else a client can read, and calls that fail.
    await gql('{ runs(first: 50) { edges { node { id status error { message details } } } } }');
    await gql('{ interactions { id status title context } }');
    await gql('{ auditEvents { seq action actor target runId data hash } }');
    await gql('{ actions { name circuitState problems } }');
    await gql('{ events: run(id: "run_does_not_exist") { id } }');
    await gql(`mutation { resumeRun(id: "${actionId}") { id } }`);
    await gql(`mutation { forkRun(snapshotId: "${failed.snapshots[0]?.id ?? 'none'}") { id status } }`);
    await gql('{ nonsense }');
    expect(graphql.some((body) => body.includes('"errors"'))).toBe(true);

    const store = served.runtime.store;
    const stored = [
      ...(await store.listEvents('default', approvalId)),
      ...(await store.listEvents('default', actionId)),
    ];
    expect(stored.map((e) => e.type)).toContain('action.failed');
    const audit = await served.runtime.engine.listAudit();
    expect(audit.length).toBeGreaterThan(0);
    expect(logLines.some((line) => line.includes('delivery failed'))).toBe(true);
    const files = () =>
      [database, `${database}-wal`, `${database}-shm`]
        .filter((file) => existsSync(file))
        .map((file) => readFileSync(file).toString('latin1'))
        .join('\n');
    const whileRunning = files();

    closed = true;
    await served.close('test finished');
    const afterClose = files();
    expect(whileRunning.length).toBeGreaterThan(0);

    const places: Record<string, string> = {
      'log lines': logLines.join('\n'),
      'GraphQL responses and errors': graphql.join('\n'),
      'graphql-ws frames': [...approvalFrames, ...actionFrames].join('\n'),
      'stored events': JSON.stringify(stored),
      'audit entries': JSON.stringify(audit),
      'the SQLite file while running (db, WAL)': whileRunning,
      'the SQLite file after close': afterClose,
    };
    const found = Object.fromEntries(Object.entries(places).map(([where, text]) => [where, leaksIn(text)]));
    expect(found).toEqual(Object.fromEntries(Object.keys(places).map((where) => [where, []])));
  }, 90_000);
});
