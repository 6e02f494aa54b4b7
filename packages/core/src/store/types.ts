/**
 * Records a {@link Store} keeps, and the Store interface itself.
 *
 * The engine never writes piecemeal: every run transition is one {@link Commit}, applied
 * atomically by {@link RunJournal.commit}. The Store is four roles: the run journal
 * (commits and their reads), the work queue (claims, leases, timers), the event bus
 * (`subscribe`) and the registry (tenants, API keys, segments, each write audited).
 *
 * Records are plain JSON-compatible objects. A store may keep references to the objects
 * it is given (the engine never mutates a record after handing it over) but must return
 * records that the caller may not mutate either.
 */

export * from './commit-types.js';
export * from './interaction-records.js';
export * from './registry-records.js';
export * from './retention-types.js';
export * from './run-records.js';
export * from './store-roles.js';
