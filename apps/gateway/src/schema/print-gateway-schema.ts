import { graphql } from '../graphql-js.js';
import { buildGatewaySchema } from './build-gateway-schema.js';

/** The published SDL (`schema.graphql`): types sorted, so the file diffs cleanly. */
export async function printGatewaySchema(): Promise<string> {
  const schema = await buildGatewaySchema();
  const header = '# The llmteam gateway schema. Generated from the resolvers; a test keeps it in sync.\n\n';
  return `${header}${graphql.printSchema(graphql.lexicographicSortSchema(schema))}\n`;
}
