import { LlmteamError, type Role } from '@llmteam/core';
import { type Command, Option } from 'commander';
import { createApiKey, ensureTenant } from '../auth/api-keys.js';
import { type CommandSupport, mustExist, out, table } from './command-support.js';

const ROLES: Role[] = ['admin', 'operator', 'approver', 'viewer', 'unsealer'];

/** Adds `llmteam keys create|list|revoke`, working on the configured store. */
export function addKeysCommands(program: Command, { withEngine, configOption }: CommandSupport): void {
  const keys = program.command('keys').description('API keys');
  keys
    .command('create')
    .description('create an API key; its secret is printed once')
    .option('-t, --tenant <id>', 'tenant (created when missing)', 'default')
    .addOption(new Option('-r, --role <role...>', 'roles').choices(ROLES).makeOptionMandatory())
    .option('-n, --name <name>', 'a name to recognise the key by')
    .option('-s, --subject <subject>', 'the person or service acting with it')
    .option('-g, --group <group...>', 'groups of the subject')
    .option('--expires-at <time>', 'ISO time the key stops working (default: never)')
    .addOption(configOption())
    .action(
      async (opts: {
        tenant: string;
        role: Role[];
        name?: string;
        subject?: string;
        group?: string[];
        expiresAt?: string;
        config?: string;
      }) => {
        const expiresAt = opts.expiresAt === undefined ? undefined : Date.parse(opts.expiresAt);
        if (expiresAt !== undefined && (Number.isNaN(expiresAt) || expiresAt <= Date.now()))
          throw new LlmteamError(
            'LLMT_E_INVALID_ARGUMENT',
            `--expires-at must be a future ISO time, got ${opts.expiresAt}`,
          );
        await withEngine(opts.config, async (engine) => {
          await ensureTenant(engine.store, opts.tenant, opts.tenant);
          const { record, secret } = await createApiKey(engine.store, {
            tenantId: opts.tenant,
            roles: opts.role,
            ...(opts.name ? { name: opts.name } : {}),
            ...(opts.subject ? { subject: opts.subject } : {}),
            groups: opts.group ?? [],
            ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
          });
          out(
            `key ${record.keyId} (tenant ${record.tenantId}, roles ${record.roles.join(',')}, subject ${record.subject})`,
          );
          out(secret);
        });
      },
    );

  keys
    .command('list')
    .description("a tenant's API keys (never their secrets)")
    .option('-t, --tenant <id>', 'tenant', 'default')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action(async (opts: { tenant: string; json?: boolean; config?: string }) => {
      await withEngine(opts.config, async (engine) => {
        await mustExist(engine, opts.tenant);
        const list = (await engine.forTenant(opts.tenant).listApiKeys()).map(
          ({ secretHash: _hash, ...key }) => key,
        );
        if (opts.json) return out(JSON.stringify(list, null, 2));
        if (list.length === 0) return out(`no keys in tenant ${opts.tenant}`);
        const now = Date.now();
        const status = (k: (typeof list)[number]) =>
          k.revokedAt ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= now ? 'expired' : 'active';
        for (const line of table(
          ['ID', 'STATUS', 'ROLES', 'SUBJECT', 'EXPIRES'],
          list.map((k) => [k.keyId, status(k), k.roles.join(','), k.subject, k.expiresAt ?? 'never']),
        ))
          out(line);
      });
    });
  keys
    .command('revoke')
    .description('revoke an API key: HTTP refuses it at once, live sockets close within seconds')
    .argument('<keyId>', 'id of the key (see keys list)')
    .option('-t, --tenant <id>', 'tenant of the key (default: searched in every tenant)')
    .addOption(configOption())
    .action(async (keyId: string, opts: { tenant?: string; config?: string }) => {
      await withEngine(opts.config, async (engine) => {
        const tenants = opts.tenant
          ? [opts.tenant]
          : (await engine.store.listTenants()).map((t) => t.tenantId);
        for (const tenantId of tenants) {
          const tenant = engine.forTenant(tenantId, { subject: 'cli', roles: ['admin'] });
          if (!(await tenant.listApiKeys()).some((k) => k.keyId === keyId)) continue;
          const revoked = await tenant.revokeApiKey(keyId, new Date().toISOString());
          return out(`key ${revoked.keyId} (tenant ${tenantId}) revoked at ${revoked.revokedAt}`);
        }
        throw new LlmteamError(
          'LLMT_E_INVALID_ARGUMENT',
          `no API key "${keyId}"${opts.tenant ? ` in tenant ${opts.tenant}` : ''}; see llmteam keys list --tenant ID`,
        );
      });
    });
}
