/** Which events to return. Every field narrows the result; none returns all events. */
export interface EventQuery {
  /** Only these types (`step.completed`, ...); an empty list filters nothing. */
  types?: string[];
  runId?: string;
  stepId?: string;
  /** Only events of runs of this segment. */
  segmentId?: string;
  /** Only events at or after this time (ISO 8601). */
  from?: string;
  /** Only events at or before this time (ISO 8601). */
  to?: string;
  /** Page size, 1..1000. @default 100 */
  limit?: number;
  /** Cursor from a previous page. */
  after?: string;
}
