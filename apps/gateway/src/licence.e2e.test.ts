import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LicenceTerms, ManualClock, signLicence } from '@llmteam/core';
import { startNodeProcess } from '@llmteam/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { createLogger } from './logger.js';
import { bannerLines, serve } from './serve.js';
import { CLI, WORKSPACE_NODE_ARGS } from './test-support.js';

const DAY = 86_400_000;

// Child processes start slowly on a loaded machine: a generous bound, never a pass condition.
describe('licence files', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-licence-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { LOG_LEVEL: 'fatal', LLMTEAM_BOOTSTRAP_API_KEY: '', NODE_ENV: 'test' };
  /** The command in this process, output captured (paths are absolute: the working directory is not `dir`). */
  const inProcess = async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const write = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = ((chunk: string) => {
      stdout += chunk;
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => {
      stderr += chunk;
      return true;
    }) as typeof process.stderr.write;
    process.exitCode = undefined;
    try {
      const code = await main(['node', 'llmteam', ...args]);
      return { code, stdout, stderr };
    } finally {
      process.stdout.write = write.out;
      process.stderr.write = write.err;
      process.exitCode = undefined;
    }
  };
  const at = (name: string) => join(dir, name);
  /** The real command in a child process in `dir`: where starting (or refusing to start) is what is tested. */
  const llmteam = (...args: string[]) => {
    const res = spawnSync(process.execPath, [...WORKSPACE_NODE_ARGS, CLI, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  };
  const configWith = (licenceFile: string) => {
    const file = join(dir, `config-${licenceFile}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        store: ['@llmteam/store-sqlite', { path: `./.llmteam/${licenceFile}.sqlite` }],
        licence: { file: licenceFile, publicKeyFile: 'issuer-public.pem' },
      }),
    );
    return file;
  };

  it('issues a licence with `llmteam licence issue`, verifies it, and `llmteam serve` starts under it', async () => {
    const keygen = await inProcess(
      'licence',
      'keygen',
      '--private-key',
      at('issuer.pem'),
      '--public-key',
      at('issuer-public.pem'),
    );
    expect(keygen).toMatchObject({ code: 0, stderr: '' });
    const expiresAt = new Date(Date.now() + 365 * DAY).toISOString();
    const issue = (...more: string[]) =>
      inProcess('licence', 'issue', '--key', at('issuer.pem'), '--licensee', 'Acme Corp', ...more);
    const issued = await issue(
      '--tier',
      'professional',
      '--expires-at',
      expiresAt,
      '--limit',
      'concurrent_runs=20',
      'runs_per_day=1000',
      '--max-tenants',
      '5',
      '--id',
      'lic-1',
      '--out',
      at('acme.licence'),
    );
    expect(issued).toMatchObject({ code: 0, stderr: '' });
    const file = JSON.parse(readFileSync(at('acme.licence'), 'utf8'));
    expect(file).toMatchObject({
      format: 1,
      licenceId: 'lic-1',
      licensee: 'Acme Corp',
      tier: 'professional',
      limits: { concurrent_runs: 20, runs_per_day: 1000 },
      maxTenants: 5,
      expiresAt,
    });

    const verified = await inProcess(
      'licence',
      'verify',
      at('acme.licence'),
      '--public-key',
      at('issuer-public.pem'),
    );
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(
      `valid; Acme Corp (lic-1); tier professional; expires on ${expiresAt}; limits concurrent_runs=20, runs_per_day=1000; at most 5 tenants`,
    );
    // Without --public-key, the configured one is used.
    expect((await inProcess('licence', 'verify', '--config', configWith('acme.licence'))).code).toBe(0);
    // An issuer is kept from writing a licence that is expired already, or over an existing file.
    expect(await issue('--tier', 'free', '--expires-at', '2020-01-01T00:00:00Z')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--expires-at 2020-01-01T00:00:00.000Z is past'),
    });
    expect(await issue('--tier', 'free', '--valid-for', 'P30D', '--out', at('acme.licence'))).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('exists already'),
    });
    expect(await issue('--tier', 'free', '--valid-for', 'P30D', '--limit', 'seats=3')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--limit takes NAME=N with NAME one of concurrent_runs'),
    });

    const served = await startNodeProcess({
      entry: CLI,
      args: ['serve', '--port', '0', '--config', configWith('acme.licence')],
      cwd: dir,
      nodeArgs: WORKSPACE_NODE_ARGS,
      env,
    });
    try {
      expect(served.output()).toContain(
        `licence: Acme Corp (lic-1); tier professional; expires on ${expiresAt}`,
      );
    } finally {
      await served.stop();
    }
  });

  it('refuses to start with an altered, expired, unknown-tier or malformed licence, naming the problem', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const now = Date.now();
    const terms: LicenceTerms = {
      licensee: 'Acme Corp',
      tier: 'starter',
      issuedAt: new Date(now - 40 * DAY).toISOString(),
      expiresAt: new Date(now + 30 * DAY).toISOString(),
    };
    const issuer = readFileSync(join(dir, 'issuer.pem'), 'utf8');
    const good = signLicence(terms, issuer);
    const cases: Array<[string, unknown, string, RegExp]> = [
      [
        'raised.licence',
        { ...good, tier: 'enterprise' },
        'signature',
        /licence .*raised\.licence: the signature does not verify with the configured public key \(it was altered after signing\)/,
      ],
      [
        'foreign.licence',
        signLicence(terms, privateKey),
        'signature',
        /foreign\.licence: the signature does not verify .*it names signing key [0-9a-f]{16}, the configured public key is [0-9a-f]{16}/,
      ],
      [
        'expired.licence',
        signLicence({ ...terms, expiresAt: new Date(now - DAY).toISOString() }, issuer),
        'expired',
        new RegExp(
          `the licence of Acme Corp expired on ${new Date(now - DAY).toISOString()}; install a renewed licence`,
        ),
      ],
      [
        'gold.licence',
        { ...good, tier: 'gold' },
        'unknown_tier',
        /\$\.tier is not a tier: "gold"; tiers are free, starter, professional, enterprise/,
      ],
      [
        'limits.licence',
        { ...good, limits: { runs_per_day: 'lots' } },
        'malformed',
        /\$\.limits\.runs_per_day must be a whole number of 0 or more, got "lots"/,
      ],
    ];
    const logger = createLogger({ level: 'silent' });
    for (const [name, content, problem, message] of cases) {
      writeFileSync(join(dir, name), JSON.stringify(content));
      await expect(
        serve({ cwd: dir, config: configWith(name), port: 0, logger }),
        name,
      ).rejects.toMatchObject({
        code: 'LLMT_E_LICENCE_INVALID',
        details: { problem, source: at(name) },
        message: expect.stringMatching(message),
      });
    }
    // The real command: one line naming the problem, exit 1, never a banner.
    const res = llmteam('serve', '--port', '0', '--config', configWith('expired.licence'));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /^llmteam: licence \S+expired\.licence: the licence of Acme Corp expired on \S+; install a renewed licence\n$/,
    );
    expect(res.stdout).not.toContain('llmteam gateway: http');
  });

  it('`llmteam licence verify` names the problem of a bad licence and exits 1', async () => {
    expect(
      await inProcess('licence', 'verify', at('gold.licence'), '--public-key', at('issuer-public.pem')),
    ).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('$.tier is not a tier'),
    });
  });

  it('holds tenants to the licence and, once it expires on the engine clock, takes no new run', async () => {
    const start = Date.parse('2027-03-01T00:00:00Z');
    const clock = new ManualClock(start);
    const issuer = readFileSync(join(dir, 'issuer.pem'), 'utf8');
    const expiresAt = new Date(start + 10 * DAY).toISOString();
    writeFileSync(
      join(dir, 'small.licence'),
      JSON.stringify(
        signLicence(
          {
            licensee: 'Small Co',
            tier: 'starter',
            limits: { runs_per_day: 2 },
            maxTenants: 1,
            issuedAt: new Date(start - DAY).toISOString(),
            expiresAt,
          },
          issuer,
        ),
      ),
    );
    const logger = createLogger({ level: 'silent' });
    const served = await serve({
      cwd: dir,
      config: configWith('small.licence'),
      port: 0,
      logger,
      clock,
      bootstrapApiKey: 'llmt_licence_test_admin_key_0123456789',
    });
    const gql = async (query: string, variables?: Record<string, unknown>) => {
      const res = await fetch(served.gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${served.bootstrap.secret}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions: any }> };
    };
    try {
      expect(bannerLines(served)).toContain(
        `licence: Small Co; tier starter; expires on ${expiresAt}; limits runs_per_day=2; at most 1 tenants`,
      );
      await gql('mutation ($d: JSON!) { upsertSegment(definition: $d) { id } }', {
        d: {
          segment_id: 'echo',
          steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
        },
      });
      const startRun = () => gql('mutation { startRun(segmentId: "echo", input: {}) { id } }');
      expect((await startRun()).errors).toBeUndefined();
      expect((await startRun()).errors).toBeUndefined();
      const third = await startRun();
      expect(third.errors?.[0]).toMatchObject({
        message: expect.stringContaining('reached its limit runs_per_day = 2 (2 in use) of tier starter'),
        extensions: { code: 'FORBIDDEN', llmteamCode: 'LLMT_E_LIMIT_EXCEEDED' },
      });

      const created = await gql(
        'mutation { createTenant(id: "acme", name: "Acme", tier: ENTERPRISE) { id } }',
      );
      expect(created.errors).toBeUndefined();
      const second = await gql('mutation { createTenant(id: "beta", name: "Beta") { id } }');
      expect(second.errors?.[0]).toMatchObject({
        message: expect.stringContaining('the licence allows 1 tenant (maxTenants)'),
        extensions: { llmteamCode: 'LLMT_E_LIMIT_EXCEEDED' },
      });

      clock.advance(10 * DAY);
      const late = await startRun();
      expect(late.errors?.[0]).toMatchObject({
        message: expect.stringContaining(`the licence of Small Co expired on ${expiresAt}`),
        extensions: { code: 'FORBIDDEN', llmteamCode: 'LLMT_E_LICENCE_INVALID' },
      });
    } finally {
      await served.close();
    }
  });
});
