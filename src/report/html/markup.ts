// The HTML builders of the page: the plain ones live in src/util/html.ts, where the scenario
// families' own sections use them too; links to artifact files need the report directory's rules.
import { esc } from '../../util/html.ts';
import { artifactHref, isSafeRelative } from './evidence.ts';

export {
  esc,
  escClean,
  factTable,
  FLAGGED,
  fold,
  markedLine,
  nonEmptyLines,
  notesList,
  plainLine,
  scrollBox,
  table,
} from '../../util/html.ts';

/** A relative link to an artifact, or only its name when the path leaves the report directory. */
export function fileLink(path: string, label: string, download = false): string {
  if (!isSafeRelative(path)) {
    return `<code>${esc(label)}</code>`;
  }
  return `<a href="${esc(artifactHref(path))}"${download ? ' download' : ''}>${esc(label)}</a>`;
}
