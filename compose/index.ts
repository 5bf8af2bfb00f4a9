/** The Compose engine's public surface: load, normalise, print, translate, hash. */
export { toComposeConfig } from './config-json.js';
export { CONFIG_HASH_VERSION, canonicalJson, configHash } from './hash.js';
export { type ComposeFile, type LoadOptions, type LoadResult, loadProject } from './load.js';
export * from './model.js';
export { ComposeError, formatProblem, type Problem } from './problems.js';
export {
  apiAtLeast,
  BASELINE_API_VERSION,
  type ContainerFile,
  type ContainerSpec,
  checkApiSupport,
  containerName,
  containerSpec,
  imageReference,
  type NetworkConnection,
  networkSpec,
  type TranslateOptions,
  translateProject,
  volumeSpec,
} from './translate.js';
