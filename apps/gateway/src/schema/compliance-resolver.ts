import {
  COMPLIANCE_CSV_TABLES,
  type ComplianceCsvTable,
  type ComplianceFormat,
  complianceCsvTables,
  LlmteamError,
  renderComplianceReport,
} from '@llmteam/core';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { Arg, Ctx, Field, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import { tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';

/** Formats of `complianceReport`: GraphQL names for core's `json`, `csv` and `ai-act`. */
export const ComplianceReportFormatEnum = { JSON: 'json', CSV: 'csv', AI_ACT: 'ai-act' } as const;
registerEnumType(ComplianceReportFormatEnum, {
  name: 'ComplianceReportFormat',
  description: 'JSON (the report), CSV (one file per table) or AI_ACT (EU AI Act record keeping, JSON)',
});

@ObjectType({ description: 'One table of a compliance report as RFC 4180 CSV' })
export class ComplianceCsvFile {
  @Field(() => String, { description: `One of ${COMPLIANCE_CSV_TABLES.join(', ')}` }) table!: string;
  @Field(() => String) csv!: string;
}

@ObjectType({ description: "A tenant's compliance report over a time range, in one format" })
export class ComplianceReportResult {
  @Field(() => ComplianceReportFormatEnum) format!: ComplianceFormat;
  @Field(() => String, { description: 'application/json or text/csv' }) contentType!: string;
  @Field(() => String, {
    description:
      'The report as text: JSON, the CSV table asked for (summary by default), or the AI Act records',
  })
  body!: string;
  @Field(() => JSONResolver, {
    nullable: true,
    description: 'JSON and AI_ACT: the same as an object; null for CSV',
  })
  report!: unknown;
  @Field(() => [ComplianceCsvFile], {
    description: 'CSV: every table, one file each (empty for JSON and AI_ACT)',
  })
  tables!: ComplianceCsvFile[];
}

/** The compliance report of the caller's tenant (admins only). */
@Resolver()
export class ComplianceResolver {
  @Query(() => ComplianceReportResult, {
    description:
      "Admins: the tenant's compliance report over [from, to]: events, audit entries by actor, approvals and response times, SLA breaches, escalations, tool approvals, action calls, token usage, the audit chain's verification and per-run record keeping",
  })
  async complianceReport(
    @Ctx() ctx: GatewayContext,
    @Arg('from', () => DateTimeResolver) from: Date,
    @Arg('to', () => DateTimeResolver) to: Date,
    @Arg('format', () => ComplianceReportFormatEnum, { defaultValue: 'json' }) format: ComplianceFormat,
    @Arg('table', () => String, {
      nullable: true,
      description: 'CSV: the table `body` holds. Default: summary',
    })
    table?: string,
  ): Promise<ComplianceReportResult> {
    const { tenant } = tenantFor(ctx, 'admin');
    if (table !== undefined && table !== null && !COMPLIANCE_CSV_TABLES.includes(table as ComplianceCsvTable))
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `table must be one of ${COMPLIANCE_CSV_TABLES.join(', ')}, got ${JSON.stringify(table)}`,
        { details: { field: 'table' } },
      );
    const report = await tenant.complianceReport({ from: from.toISOString(), to: to.toISOString() });
    const rendered = renderComplianceReport(
      report,
      format,
      (table ?? undefined) as ComplianceCsvTable | undefined,
    );
    return {
      ...rendered,
      report: format === 'csv' ? null : JSON.parse(rendered.body),
      tables: format === 'csv' ? complianceCsvTables(report) : [],
    };
  }
}
