import { Field, ObjectType } from 'type-graphql';
import { PageInfo, WorktrailEvent } from './object-types.js';

@ObjectType()
export class EventEdge {
  @Field(() => WorktrailEvent) node!: WorktrailEvent;
  @Field(() => String) cursor!: string;
}

@ObjectType({ description: 'Stored events in time order (then run id, then seq); Relay connection' })
export class EventConnection {
  @Field(() => [EventEdge]) edges!: EventEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}
