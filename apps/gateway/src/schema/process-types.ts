import { Field, Float, Int, ObjectType } from 'type-graphql';
import { RunStatusEnum } from './enums.js';

@ObjectType({ description: 'Summary of durations in milliseconds (nearest-rank percentiles)' })
export class DurationStats {
  @Field(() => Int) count!: number;
  @Field(() => Float) meanMs!: number;
  @Field(() => Float) p50Ms!: number;
  @Field(() => Float) p90Ms!: number;
  @Field(() => Float) p95Ms!: number;
  @Field(() => Float) p99Ms!: number;
  @Field(() => Float) maxMs!: number;
}

@ObjectType({ description: 'An activity (step) of a process map; `__start__` and `__end__` bound every run' })
export class ProcessMapNode {
  @Field(() => String) activity!: string;
  @Field(() => String, { nullable: true }) stepType?: string;
  @Field(() => Int, { description: 'Step attempts seen (open ones included); runs for the boundaries' })
  count!: number;
  @Field(() => Int, { description: 'Attempts that failed, were retried or were aborted' }) failed!: number;
  @Field(() => DurationStats, { description: 'Start to end of each finished attempt' })
  duration!: DurationStats;
}

@ObjectType({ description: '`target` started next after `source` in a run' })
export class ProcessMapEdge {
  @Field(() => String) source!: string;
  @Field(() => String) target!: string;
  @Field(() => Int) count!: number;
  @Field(() => DurationStats, { description: 'End of `source` to start of `target`' })
  duration!: DurationStats;
}

@ObjectType({ description: 'Directly-follows map of the runs of a segment' })
export class ProcessMap {
  @Field(() => String) segmentId!: string;
  @Field(() => Int) runs!: number;
  @Field(() => [ProcessMapNode]) nodes!: ProcessMapNode[];
  @Field(() => [ProcessMapEdge], { description: 'Most frequent first' }) edges!: ProcessMapEdge[];
}

@ObjectType()
export class RunStatusCount {
  @Field(() => RunStatusEnum) status!: string;
  @Field(() => Int) count!: number;
}

@ObjectType()
export class HumanStepWaiting {
  @Field(() => String) stepId!: string;
  @Field(() => DurationStats) waiting!: DurationStats;
}

@ObjectType({ description: 'How often a review step sent work back' })
export class ReworkLoops {
  @Field(() => String) stepId!: string;
  @Field(() => Int) runs!: number;
  @Field(() => Int) runsWithRework!: number;
  @Field(() => Int) loops!: number;
  @Field(() => Float) meanLoopsPerRun!: number;
  @Field(() => Int) maxLoopsPerRun!: number;
}

@ObjectType()
export class SlaBreaches {
  @Field(() => String) stepId!: string;
  @Field(() => Int) requests!: number;
  @Field(() => Int) warnings!: number;
  @Field(() => Int) breaches!: number;
  @Field(() => Float) breachRate!: number;
}

@ObjectType({ description: 'Throughput, waiting, rework and SLA figures of the runs of a segment' })
export class ProcessMetrics {
  @Field(() => String) segmentId!: string;
  @Field(() => Int) runs!: number;
  @Field(() => [RunStatusCount]) byStatus!: RunStatusCount[];
  @Field(() => DurationStats, { description: 'Creation to completion of the runs that ended' })
  throughput!: DurationStats;
  @Field(() => [HumanStepWaiting]) waitingByHumanStep!: HumanStepWaiting[];
  @Field(() => [ReworkLoops]) reworkByReview!: ReworkLoops[];
  @Field(() => [SlaBreaches]) slaByStep!: SlaBreaches[];
  @Field(() => Float) slaBreachRate!: number;
}
