// CLUSTER NODES views: each view once (the `cluster/` copies for `rcnc analyze` repeat the ones
// taken after the join), the view that held the ghost first and open, ghost lines and a joiner that
// knows no address of its own marked. Views without a marked line are folded, and beyond the first
// of their stage only linked.
import type { ConvergedStage } from '../../suite/family.ts';
import { compareStrings } from '../../util/text.ts';
import { formatMs } from '../format.ts';
import type { EvidenceFile } from './evidence.ts';
import { fileBody } from './files.ts';
import { esc, fileLink, fold, markedLine, nonEmptyLines, plainLine } from './markup.ts';

const STAGE_WORDS: Record<string, string> = {
  ghost: 'when the failed dial-back was seen',
  'after-fix': 'after the fix',
};

/**
 * `unstaged` names the views saved without a stage: `after the join` for nat-meet, `at the end`
 * otherwise. Per stage, the first view and every view with a marked line are shown; the other
 * members' views of that stage are links with their node counts, so a cell of eleven members reads
 * as fast as one of four and the page stays small.
 */
export function viewsSection(
  files: EvidenceFile[],
  ghostIds: Set<string>,
  unstaged = 'after the join',
  converged?: ConvergedStage,
): string[] {
  const views = viewGroups(files.filter((file) => file.kind === 'cluster-nodes'));
  if (views.length === 0) {
    return [];
  }
  const lines = ['<h4>CLUSTER NODES</h4>', '<div class="views">'];
  const stages = [...new Set(views.map((view) => view.file.stage))];
  for (const stage of stages) {
    const when = stage === undefined ? unstaged : (STAGE_WORDS[stage] ?? stage);
    const leftover = converged && converged.stage === stage ? leftoverMark(converged.nodeTimeoutMs) : undefined;
    const listed: string[] = [];
    views
      .filter((view) => view.file.stage === stage)
      .forEach((view, index) => {
        const marked = viewLines(view.file.text ?? '', ghostIds, leftover);
        const open = marked.includes('data-mark=');
        if (index > 0 && !open) {
          listed.push(unshownView(view));
          return;
        }
        const count = nonEmptyLines(view.file.text ?? '').length;
        const summary =
          `<span class="member">${esc(view.file.member ?? view.file.path)}</span> · ${esc(when)} · ` +
          `${count} node${count === 1 ? '' : 's'} ${fileLink(view.file.path, 'file')}` +
          `${view.copies.map((copy) => ` ${fileLink(copy.path, 'copy')}`).join('')}` +
          `${view.alike.length === 0 ? '' : ` · the same table in ${view.alike.map(memberLink).join(', ')}`}`;
        lines.push(
          ...fold(
            summary,
            fileBody(view.file, () => marked),
            { open, cls: 'view' },
          ),
        );
      });
    if (listed.length > 0) {
      lines.push(`<p class="views-listed">Other views ${esc(when)}: ${listed.join('; ')}</p>`);
    }
  }
  lines.push('</div>');
  return lines;
}

/** A member's view as a link, with its copies. */
function memberLink({ file, copies }: MemberView): string {
  return [fileLink(file.path, file.member ?? file.path), ...copies.map((copy) => fileLink(copy.path, 'copy'))].join(
    ' ',
  );
}

/** A view not shown: its member and those with the same table, linked, and its node count. */
function unshownView(view: ViewGroup): string {
  const count = nonEmptyLines(view.file.text ?? '').length;
  return `${[view, ...view.alike].map(memberLink).join(', ')} <span class="meta">${count} node${count === 1 ? '' : 's'}</span>`;
}

interface MemberView {
  file: EvidenceFile;
  /** The same member's view at the same stage saved again (the `cluster/` copies). */
  copies: EvidenceFile[];
}

interface ViewGroup extends MemberView {
  /** Other members whose view at the same stage is the same table. */
  alike: MemberView[];
}

/**
 * Each view once. A member's view saved twice at one stage is one view; later copies only add a
 * link. Members that agree on every node's id, address, flags, master, link and slots share one
 * view, the others' files linked from it: a formed cluster of eleven is one table, not eleven. Ping
 * and pong times, and config epochs while a collision is being resolved, differ from one snapshot
 * to the next and say nothing about addresses, so they do not count. The view that held the ghost
 * is the evidence: it comes first, then the views after the join, then after the fix.
 */
function viewGroups(views: EvidenceFile[]): ViewGroup[] {
  // A stable sort: a member's own file, listed before its `cluster/` copy, stays the one shown.
  const stageRank = (stage: string | undefined) => (stage === 'ghost' ? 0 : stage === undefined ? 1 : 2);
  const ordered = [...views].sort(
    (a, b) =>
      stageRank(a.stage) - stageRank(b.stage) ||
      compareStrings(a.stage ?? '', b.stage ?? '') ||
      compareMembers(a.member ?? '', b.member ?? ''),
  );
  const groups: { key: string; group: ViewGroup }[] = [];
  const firstViews = new Map<string, { table: string; view: MemberView }>();
  for (const file of ordered) {
    const stage = file.stage ?? '';
    const member = file.member ?? file.path;
    const own = `${member}\0${stage}`;
    const table = file.text === undefined ? `\0${file.path}` : tableKey(file.text, true);
    const first = firstViews.get(own);
    if (first?.table === table) {
      first.view.copies.push(file);
      continue;
    }
    const view: MemberView = { file, copies: [] };
    if (!first) {
      firstViews.set(own, { table, view });
    }
    const key = file.text === undefined ? table : `${stage}\0${tableKey(file.text, false)}`;
    const group = groups.find(
      (entry) =>
        entry.key === key && ![entry.group, ...entry.group.alike].some((other) => other.file.member === file.member),
    )?.group;
    if (group) {
      group.alike.push(view);
    } else {
      groups.push({ key, group: { ...view, alike: [] } });
    }
  }
  return groups.map((entry) => entry.group);
}

/** `redis-2` before `redis-10`: members in the order they were started. */
function compareMembers(a: string, b: string): number {
  const [, nameA = a, numberA] = /^(.*?)(\d+)$/.exec(a) ?? [];
  const [, nameB = b, numberB] = /^(.*?)(\d+)$/.exec(b) ?? [];
  return compareStrings(nameA, nameB) || Number(numberA ?? 0) - Number(numberB ?? 0) || compareStrings(a, b);
}

/**
 * What a view says about the cluster, in a form two views can be compared by: each line without
 * its ping and pong times and config epoch, lines sorted; without the `myself` flag when views of
 * different members are compared.
 */
function tableKey(text: string, withSelf: boolean): string {
  return nonEmptyLines(text)
    .map((line) => {
      const fields = line.trim().split(/\s+/);
      if (fields.length >= 8) {
        fields[4] = '';
        fields[5] = '';
        fields[6] = '';
      }
      if (!withSelf && fields[2] !== undefined) {
        fields[2] = fields[2]
          .split(',')
          .filter((flag) => flag !== 'myself')
          .join(',');
      }
      return fields.join(' ');
    })
    .sort(compareStrings)
    .join('\n');
}

/**
 * What a handshake entry in a view read after the cluster converged is: what is left of a MEET
 * made before, which Redis removes without help. Its cron deletes a node still in handshake once
 * the node is older than the handshake timeout, and that timeout is cluster-node-timeout, raised
 * to 1000 ms when smaller (redis/src/cluster.c, clusterCron: `handshake_timeout`, compared with the
 * node's `ctime`; Redis 7.0). The entry was made before the view was read, so it is gone at most
 * that long after.
 */
export function leftoverMark(nodeTimeoutMs: number | undefined): string {
  const timeout =
    nodeTimeoutMs === undefined
      ? 'cluster-node-timeout, 1 s at least'
      : `cluster-node-timeout ${nodeTimeoutMs} ms, 1 s at least`;
  const within = nodeTimeoutMs === undefined ? 'its handshake timeout' : formatMs(Math.max(1000, nodeTimeoutMs));
  return `leftover handshake of an earlier MEET, not a ghost: Redis removes it by itself within ${within} of this view (handshake timeout: ${timeout})`;
}

/**
 * Marks the lines that stand for no live node, and the node that does not know its own address.
 * With `leftover` (the view was read after the cluster converged), a handshake line is marked as
 * the leftover it is, with that text, instead of as a ghost.
 */
export function viewLines(text: string, ghostIds: Set<string>, leftover?: string): string {
  return nonEmptyLines(text)
    .map((line) => {
      const [id = '', address = '', flagText = ''] = line.trim().split(/\s+/);
      const flags = flagText.split(',');
      if (leftover !== undefined && flags.includes('handshake')) {
        return markedLine(line, 'leftover', leftover);
      }
      const ghostFlags = flags.filter((flag) => flag === 'handshake' || flag === 'noaddr');
      if (ghostFlags.length > 0 || ghostIds.has(id)) {
        const why = ghostFlags.length > 0 ? ghostFlags.join(',') : 'ghost';
        return markedLine(line, 'ghost', `ghost (${why}): recorded at an address no node listens on`);
      }
      if (address.startsWith(':') && flags.includes('myself')) {
        return markedLine(line, 'noaddr', 'knows no address of its own: nobody sent it a MEET it could answer');
      }
      if (flags.includes('fail') || flags.includes('fail?')) {
        return markedLine(line, 'noaddr', flags.includes('fail') ? 'marked failed' : 'suspected failing');
      }
      return plainLine(line, flags.includes('myself') ? 'self' : '');
    })
    .join('');
}
