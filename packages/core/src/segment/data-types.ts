/**
 * Port `data_type`s and which flows between them are allowed. A port without a
 * `data_type` (neither in the segment nor in its step type's defaults) takes anything.
 *
 * | source \\ target | json | string | number | boolean | object | array | any |
 * |-----------------|------|--------|--------|---------|--------|-------|-----|
 * | json            | yes  | no     | no     | no      | no     | no    | yes |
 * | string          | yes  | yes    | no     | no      | no     | no    | yes |
 * | number          | yes  | no     | yes    | no      | no     | no    | yes |
 * | boolean         | yes  | no     | no     | yes     | no     | no    | yes |
 * | object          | yes  | no     | no     | no      | yes    | no    | yes |
 * | array           | yes  | no     | no     | no      | no     | yes   | yes |
 * | any             | yes  | yes    | yes    | yes     | yes    | yes   | yes |
 *
 * `json` is "some JSON value, shape unknown": every typed value is one, but it is no
 * promise of a `number`, so a `json` port may feed only `json` and `any` ports. `any`
 * opts out of checking in both directions.
 */
export const DATA_TYPES = ['json', 'string', 'number', 'boolean', 'object', 'array', 'any'] as const;

/** A port's `data_type`. */
export type DataType = (typeof DATA_TYPES)[number];

const KNOWN = new Set<string>(DATA_TYPES);

/** True for one of {@link DATA_TYPES}. */
export function isDataType(value: unknown): value is DataType {
  return typeof value === 'string' && KNOWN.has(value);
}

/** Whether a value from a `source` port may flow into a `target` port (see the matrix above). */
export function dataTypeAccepts(target: DataType, source: DataType): boolean {
  return target === 'any' || source === 'any' || target === source || target === 'json';
}
