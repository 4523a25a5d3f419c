/** Flow files: parsing, validation, the typed model, and the JSON Schema for editors. */
export * from './model.ts';
export { parseFlow, loadFlowFile } from './parse.ts';
export { flowJsonSchema } from './json-schema.ts';
export { TASK_TYPE_NAMES, RUNNER_TYPE_NAMES, lookupTaskType, lookupRunnerType, canonicalTypeName } from './task-types.ts';
export { inputValueProblem } from './input-values.ts';
export { applyPluginDefaults } from './plugin-defaults.ts';
export type { PluginDefault } from './plugin-defaults.ts';
