/** Flow files: parsing, validation, the typed model, and the JSON Schema for editors. */
export * from './model.ts';
export { parseFlow, loadFlowFile } from './parse.ts';
export { flowJsonSchema } from './json-schema.ts';
export {
  dockerRunnerPropertiesSchema, kubernetesRunnerPropertiesSchema, processRunnerPropertiesSchema, kubernetesConnectionSchema,
  fileSidecarSchema,
} from './runner-schemas.ts';
export type {
  DockerRunnerProperties, KubernetesRunnerProperties, KubernetesConnection, ProcessRunnerProperties, FileSidecar,
} from './runner-schemas.ts';
export { TASK_TYPE_NAMES, RUNNER_TYPE_NAMES, lookupTaskType, lookupRunnerType, canonicalTypeName } from './task-types.ts';
export { inputValueProblem } from './input-values.ts';
export { applyPluginDefaults } from './plugin-defaults.ts';
export type { PluginDefault } from './plugin-defaults.ts';
