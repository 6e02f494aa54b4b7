import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type AuditCheckpoint,
  type AuditInclusionProof,
  type AuditVerification,
  COMPLIANCE_CSV_TABLES,
  COMPLIANCE_FORMATS,
  type ComplianceCsvTable,
  type ComplianceFormat,
  LlmteamError,
  lastAnchoredCheckpoint,
  renderComplianceReport,
  verifyAuditInclusion,
} from '@llmteam/core';
import type { Command } from 'commander';
import { type CommandSupport, mustExist, out } from './command-support.js';

function readText(file: string, what: string): string {
  try {
    return readFileSync(resolve(file), 'utf8');
  } catch (error) {
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `${what}: cannot read ${file} (${(error as Error).message})`,
    );
  }
}

function describeCheckpoint(cp: AuditCheckpoint): string {
  return `size ${cp.size}, head ${cp.headHash}, tree head ${cp.rootHash}, signed at ${cp.timestamp} by key ${cp.keyId}`;
}

function report(tenant: string, result: AuditVerification): void {
  const against = result.checkpoint
    ? `, checkpoint of ${result.checkpoint.timestamp} (size ${result.checkpoint.size})`
    : ', no checkpoint yet';
  if (result.valid) {
    out(
      `audit chain of tenant ${tenant}: valid (${result.checked} entries${result.headHash ? `, head ${result.headHash}` : ''}${against})`,
    );
    return;
  }
  const b = result.brokenAt!;
  const what =
    b.kind === 'truncated' ? `is missing its tail from entry ${b.seq}` : `is broken at entry ${b.seq}`;
  process.stderr.write(`llmteam: audit chain of tenant ${tenant} ${what} (${b.kind}): ${b.reason}\n`);
  process.exitCode = 1;
}

/**
 * Adds `llmteam audit verify|checkpoint|proof|verify-proof|public-key|report`, working on the
 * configured store and signing key. Returns the `audit` command for further subcommands.
 */
export function addAuditCommands(program: Command, { withEngine, configOption }: CommandSupport): Command {
  const audit = program.command('audit').description('audit trail');
  audit
    .command('verify')
    .description(
      "recompute a tenant's audit hash chain against its newest signed checkpoint; exit 1 at the first broken link or a missing tail",
    )
    .option('-t, --tenant <id>', 'tenant', 'default')
    .option(
      '--checkpoint <file>',
      'check against the newest checkpoint of the tenant in this file (an anchored copy)',
    )
    .option('--public-key <file>', 'the checkpoint must be signed by this Ed25519 public key (PEM)')
    .option('--json', 'print the result as JSON')
    .addOption(configOption())
    .action(
      async (opts: {
        tenant: string;
        checkpoint?: string;
        publicKey?: string;
        json?: boolean;
        config?: string;
      }) => {
        const checkpoint = opts.checkpoint
          ? lastAnchoredCheckpoint(readText(opts.checkpoint, '--checkpoint'), opts.tenant)
          : undefined;
        if (opts.checkpoint && !checkpoint)
          throw new LlmteamError(
            'LLMT_E_INVALID_ARGUMENT',
            `--checkpoint: ${opts.checkpoint} holds no checkpoint of tenant ${opts.tenant}`,
          );
        const publicKey = opts.publicKey ? readText(opts.publicKey, '--public-key') : undefined;
        await withEngine(opts.config, async (engine) => {
          await mustExist(engine, opts.tenant);
          const result = await engine.verifyAudit({ tenantId: opts.tenant, checkpoint, publicKey });
          if (opts.json) {
            out(JSON.stringify(result));
            if (!result.valid) process.exitCode = 1;
          } else report(opts.tenant, result);
        });
      },
    );
  audit
    .command('checkpoint')
    .description(
      "sign and store a checkpoint of a tenant's audit log now (size, head hash, Merkle tree head)",
    )
    .option('-t, --tenant <id>', 'tenant', 'default')
    .option('-o, --out <file>', 'also append the checkpoint to this file as a JSON line (an external anchor)')
    .option('--json', 'print the checkpoint as JSON')
    .addOption(configOption())
    .action(async (opts: { tenant: string; out?: string; json?: boolean; config?: string }) => {
      await withEngine(opts.config, async (engine) => {
        await mustExist(engine, opts.tenant);
        const cp = await engine.forTenant(opts.tenant).auditCheckpoint();
        if (opts.out) appendFileSync(resolve(opts.out), `${JSON.stringify(cp)}\n`);
        out(
          opts.json ? JSON.stringify(cp) : `checkpoint of tenant ${opts.tenant}: ${describeCheckpoint(cp)}`,
        );
      });
    });
  audit
    .command('proof')
    .description('print a Merkle inclusion proof of one audit entry against a signed checkpoint (JSON)')
    .argument('<seq>', 'the entry number')
    .option('-t, --tenant <id>', 'tenant', 'default')
    .option('-o, --out <file>', 'write the proof to this file instead')
    .addOption(configOption())
    .action(async (seq: string, opts: { tenant: string; out?: string; config?: string }) => {
      const n = Number(seq);
      if (!Number.isInteger(n) || n < 1)
        throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', `seq must be a whole number from 1, got ${seq}`);
      await withEngine(opts.config, async (engine) => {
        await mustExist(engine, opts.tenant);
        const proof = await engine.forTenant(opts.tenant).auditProof(n);
        const text = JSON.stringify(proof, null, 2);
        if (opts.out) writeFileSync(resolve(opts.out), `${text}\n`);
        else out(text);
      });
    });
  audit
    .command('verify-proof')
    .description('check an inclusion proof on its own: checkpoint signature, entry hash, audit path')
    .argument('<file>', 'a proof printed by `llmteam audit proof`')
    .option(
      '--public-key <file>',
      'Ed25519 public key (PEM) of the signer (default: the configured signing key)',
    )
    .addOption(configOption())
    .action(async (file: string, opts: { publicKey?: string; config?: string }) => {
      let proof: AuditInclusionProof;
      try {
        proof = JSON.parse(readText(file, 'proof')) as AuditInclusionProof;
      } catch (error) {
        if (error instanceof LlmteamError) throw error;
        throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', `proof: ${file} is not valid JSON`);
      }
      const key = opts.publicKey
        ? readText(opts.publicKey, '--public-key')
        : await withEngine(opts.config, async (engine) => engine.audit.publicKeyPem);
      const result = verifyAuditInclusion(proof, key);
      if (result.valid) {
        out(
          `entry ${proof.entry.seq} of tenant ${proof.entry.tenantId} is in the log: checkpoint ${describeCheckpoint(proof.checkpoint)}`,
        );
        return;
      }
      process.stderr.write(`llmteam: the proof does not hold: ${result.reason}\n`);
      process.exitCode = 1;
    });
  audit
    .command('public-key')
    .description(
      'print the Ed25519 public key (PEM) that verifies checkpoints signed with the configured key',
    )
    .addOption(configOption())
    .action(async (opts: { config?: string }) => {
      await withEngine(opts.config, async (engine) => {
        process.stdout.write(engine.audit.publicKeyPem);
        if (engine.audit.signingKey.development)
          process.stderr.write(
            'llmteam: this is the development key; configure audit.signingKeyFile in production\n',
          );
      });
    });
  audit
    .command('report')
    .description(
      "a tenant's compliance report over [--from, --to]: json (the report), csv (one table, summary by default) or ai-act (EU AI Act record keeping per run)",
    )
    .option('-t, --tenant <id>', 'tenant', 'default')
    .requiredOption('--from <time>', 'start of the range (ISO 8601, inclusive)')
    .requiredOption('--to <time>', 'end of the range (ISO 8601, inclusive)')
    .option('-f, --format <format>', `${COMPLIANCE_FORMATS.join(' | ')}`, 'json')
    .option(
      '--table <name>',
      `csv: the table to print, one of ${COMPLIANCE_CSV_TABLES.join(', ')}`,
      'summary',
    )
    .option('-o, --out <file>', 'write the report to this file instead')
    .addOption(configOption())
    .action(
      async (opts: {
        tenant: string;
        from: string;
        to: string;
        format: string;
        table: string;
        out?: string;
        config?: string;
      }) => {
        if (!COMPLIANCE_FORMATS.includes(opts.format as ComplianceFormat))
          throw new LlmteamError(
            'LLMT_E_INVALID_ARGUMENT',
            `--format must be one of ${COMPLIANCE_FORMATS.join(', ')}, got ${JSON.stringify(opts.format)}`,
            { details: { field: 'format' } },
          );
        if (!COMPLIANCE_CSV_TABLES.includes(opts.table as ComplianceCsvTable))
          throw new LlmteamError(
            'LLMT_E_INVALID_ARGUMENT',
            `--table must be one of ${COMPLIANCE_CSV_TABLES.join(', ')}, got ${JSON.stringify(opts.table)}`,
            { details: { field: 'table' } },
          );
        await withEngine(opts.config, async (engine) => {
          if (!(await engine.forTenant(opts.tenant).getTenant()))
            throw new LlmteamError(
              'LLMT_E_INVALID_ARGUMENT',
              `--tenant: no tenant "${opts.tenant}" in this store; name an existing tenant`,
              { details: { field: 'tenant' } },
            );
          const report = await engine
            .forTenant(opts.tenant)
            .complianceReport({ from: opts.from, to: opts.to });
          const { body } = renderComplianceReport(
            report,
            opts.format as ComplianceFormat,
            opts.table as ComplianceCsvTable,
          );
          if (opts.out) writeFileSync(resolve(opts.out), body);
          else process.stdout.write(body);
        });
      },
    );
  return audit;
}
