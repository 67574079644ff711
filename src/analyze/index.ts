// `rcnc analyze DIR [--format text|json|markdown]`: the CLI calls analyzeCommand. See analyze.ts for the files DIR may
// hold, and collect.ts for writing such a directory from a running topology.
export {
  ANALYZE_FILES_HELP,
  ANALYZE_FORMATS,
  EXPECTED_FILES,
  analyzeCommand,
  analyzeDir,
  renderAnalyzeText,
  type AnalyzeFormat,
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
export { DIAGNOSIS_KINDS, type Diagnosis, type DiagnosisFix, type DiagnosisKind } from './diagnoses.ts';
export { renderAnalyzeMarkdown } from './render-markdown.ts';
