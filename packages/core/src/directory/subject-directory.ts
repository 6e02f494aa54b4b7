/**
 * Who belongs to which group, and what they can do: the directory assignment strategies
 * choose from. Core keeps no people of its own; a deployment passes a directory.
 */

/** A member of a group as the directory knows them. */
export interface DirectoryMember {
  /** The subject that answers (user id or email), as API keys and `Actor.subject` name it. */
  subject: string;
  /** Skills the member declares, for `capability` assignment. @default [] */
  skills?: string[];
}

/** Who belongs to a group (and what they can do), per tenant. */
export interface SubjectDirectory {
  /** Members of `group` in `tenantId`, in a stable order (the round-robin order). */
  members(tenantId: string, group: string): Promise<DirectoryMember[]> | DirectoryMember[];
}

/** A subject as {@link staticDirectory} takes it. */
export interface DirectorySubject extends DirectoryMember {
  groups: string[];
  /** @default every tenant */
  tenantId?: string;
}

/** A directory from a fixed list of subjects with their groups and skills. */
export function staticDirectory(subjects: DirectorySubject[]): SubjectDirectory {
  return {
    members(tenantId, group) {
      return subjects
        .filter((s) => s.groups.includes(group) && (s.tenantId === undefined || s.tenantId === tenantId))
        .map((s) => ({ subject: s.subject, skills: s.skills ?? [] }));
    },
  };
}
