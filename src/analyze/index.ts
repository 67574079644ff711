// `rcnc analyze DIR [--json]`: the CLI calls analyzeCommand. See analyze.ts for the files DIR may
// hold, and collect.ts for writing such a directory from a running topology.
export {
  ANALYZE_FILES_HELP,
  EXPECTED_FILES,
  analyzeCommand,
  analyzeDir,
  renderAnalyzeText,
  type AnalyzeReport,
  type AnalyzeWarning,
  type Recommendation,
} from './analyze.ts';
export {
  collectAndAnalyze,
  collectArtifacts,
  collectFromCluster,
  type ClusterCollectOptions,
  type ClusterCollection,
  type CollectOptions,
  type CollectRun,
} from './collect.ts';
