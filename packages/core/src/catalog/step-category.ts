/** Categories of the step catalog. */
export type StepCategory = 'AI' | 'INTEGRATION' | 'HUMAN' | 'CONTROL' | 'UTILITY';
