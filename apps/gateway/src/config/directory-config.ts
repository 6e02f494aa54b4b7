import { type DirectorySubject, type SubjectDirectory, staticDirectory } from '@llmteam/core';
import { GatewayError } from '../errors.js';

/**
 * The config's `directory`: the people (and services) that group requests are assigned to,
 * with their groups and skills, for the `round_robin`, `least_loaded` and `capability`
 * strategies: `{ "subjects": [{ "subject": "ann@acme.example", "groups": ["finance"],
 * "skills": ["de", "tax"], "tenant": "acme" }] }`. A subject without `tenant` belongs to
 * every tenant.
 */
export interface DirectoryConfig {
  subjects: Array<{ subject: string; groups: string[]; skills?: string[]; tenant?: string }>;
}

const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0);

/** Checks the `directory` section, naming the entry and field at fault. */
export function checkDirectoryConfig(directory: unknown, file: string): void {
  const subjects = (directory as { subjects?: unknown } | null)?.subjects;
  if (
    typeof directory !== 'object' ||
    directory === null ||
    Array.isArray(directory) ||
    !Array.isArray(subjects)
  )
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      `${file}: directory must be { "subjects": [{ "subject": "...", "groups": ["..."], "skills": ["..."] }] }`,
    );
  for (const [i, s] of subjects.entries()) {
    const where = `${file}: directory.subjects[${i}]`;
    const entry = s as Record<string, unknown> | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.subject !== 'string' || !entry.subject)
      throw new GatewayError(
        'LLMT_E_GW_CONFIG',
        `${where}.subject must be a non-empty string (a user id or email)`,
      );
    if (!strings(entry.groups))
      throw new GatewayError('LLMT_E_GW_CONFIG', `${where}.groups must be a list of group names`);
    if (entry.skills !== undefined && !strings(entry.skills))
      throw new GatewayError('LLMT_E_GW_CONFIG', `${where}.skills must be a list of skill names`);
    if (entry.tenant !== undefined && (typeof entry.tenant !== 'string' || !entry.tenant))
      throw new GatewayError('LLMT_E_GW_CONFIG', `${where}.tenant must be a tenant id`);
    for (const key of Object.keys(entry))
      if (!['subject', 'groups', 'skills', 'tenant'].includes(key))
        throw new GatewayError(
          'LLMT_E_GW_CONFIG',
          `${where}: unknown key "${key}" (subject, groups, skills, tenant)`,
        );
  }
}

/** The engine's directory from the `directory` section. */
export function directoryFrom(config: DirectoryConfig): SubjectDirectory {
  return staticDirectory(
    config.subjects.map(
      (s): DirectorySubject => ({
        subject: s.subject,
        groups: s.groups,
        ...(s.skills ? { skills: s.skills } : {}),
        ...(s.tenant ? { tenantId: s.tenant } : {}),
      }),
    ),
  );
}
