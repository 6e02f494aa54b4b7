import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';

/**
 * graphql-js as type-graphql, Apollo and graphql-ws load it. graphql 16 ships both an ESM
 * and a CJS build without an `exports` map, so bundlers and test runners that prefer the
 * `module` field would otherwise hand this package a second copy, and graphql-js refuses
 * schema objects from "another module or realm". Requiring it pins the one copy.
 */
export const graphql: typeof GraphQL = createRequire(import.meta.url)('graphql');
