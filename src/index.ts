// The library: the model's types and step functions, the variant builder, the invariants,
// `checkVariant`, which returns the verdict `shootdown check --json` prints, and the cost
// workloads behind `shootdown cost`.

export type { Action, Op } from '../model/actions.js';
export { apply, enabled, next } from '../model/actions.js';
export type { Config, ConfigName } from '../model/config.js';
export { CONFIGS, configProblem, defineConfig, ptlOf } from '../model/config.js';
export { allActions, enabledActions } from '../model/enumerate.js';
export { findVariant, VARIANTS } from '../model/registry.js';
export type {
  BatchFolio,
  Cost,
  Cpu,
  Frame,
  Ghost,
  Mm,
  Owner,
  Pte,
  State,
  Task,
  TlbEntry,
  TlbUbc,
} from '../model/state.js';
export { initialState } from '../model/state.js';
export type {
  Arch,
  JobPolicy,
  MigrcPolicy,
  Phase,
  Policy,
  ProgramPhase,
  StepName,
  Variant,
  VariantSpec,
} from '../model/variant.js';
export { ARM64, defineVariant, NO_DIRTY_TRAP, X86 } from '../model/variant.js';
export type { Invariant, Step, Witness } from '../properties/invariants.js';
export { findInvariant, INVARIANTS } from '../properties/invariants.js';
export type { Target } from '../properties/targets.js';
export { findTarget, TARGETS } from '../properties/targets.js';
export type {
  CheckDocument,
  CheckOptions,
  Counterexample,
  CounterexampleStep,
  InvariantVerdict,
  ProtocolVerdict,
  Verdict,
} from './check/check.js';
export { checkDocument, checkVariant, disagreements } from './check/check.js';
export type { CostRow, Workload } from './cost/cost.js';
export { costedProtocols, findWorkload, runWorkload, WORKLOADS } from './cost/cost.js';
export type { WorkloadCost } from './cost/cost-report.js';
export { costTable, costWorkload } from './cost/cost-report.js';
export type {
  Budget,
  ExploreOptions,
  ExploreProgress,
  ExploreResult,
  ExploreViolation,
} from './engine/explore.js';
export { explore } from './engine/explore.js';
export { minimise, runRandom } from './engine/random.js';
export type { ReplayResult, Trace, TraceStep, Violation } from './engine/trace.js';
export { replay } from './engine/trace.js';
export { formatRaceReport } from './report/report.js';
export { VERSION } from './version.js';
