// `rcnc report DIR`: rebuild compatibility.md, junit.xml and index.html from a results.json, e.g. a
// CI artifact downloaded from another machine or a run written by an older rcnc. results.json and
// the artifacts are only read; the derived files next to them are replaced.
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { UsageError } from '../util/errors.ts';
import { oneLine } from '../util/text.ts';
import { readResults, RESULTS_FILE, writeDerivedReports } from './write.ts';

export interface RegeneratedReports {
  /** The files written, absolute paths. */
  files: string[];
}

/**
 * `dir` is a report directory (`reports/latest`, `reports/<run-id>`) or the results.json inside one.
 * A missing or invalid results.json is bad input, not a failed run: it throws a UsageError (exit 2)
 * with a one-line message that says what to do.
 */
export async function regenerateReports(dir: string): Promise<RegeneratedReports> {
  const target = resolve(dir);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(target)).isDirectory();
  } catch {
    throw new UsageError(
      `${dir}: no such report directory; pass the folder that holds ${RESULTS_FILE}, e.g. reports/latest`,
    );
  }
  // A results.json given directly is as good as its folder; any other file is a typo.
  if (!isDirectory && !basename(target).endsWith('.json')) {
    throw new UsageError(`${dir} is not a report directory; pass the folder that holds ${RESULTS_FILE}`);
  }
  const reportDir = isDirectory ? target : dirname(target);
  let results;
  try {
    results = await readResults(target);
  } catch (error) {
    throw new UsageError(oneLine(error instanceof Error ? error.message : String(error)).trim(), { cause: error });
  }
  return { files: await writeDerivedReports(reportDir, results) };
}
