// A file's text → the pieces of evidence in it: cut at its prompts (transcript-parts.ts), each
// part recognised by content (recognise.ts), with what its command and the file's name say about
// whose it is. Parts nothing recognises, and error replies, become warnings that say why.
import type { ParseWarning } from '../probes/cluster-nodes.ts';
import { nameHint, type NameHint } from './read-dir.ts';
import { ERROR_KINDS, KINDS, recognise, type Kind } from './recognise.ts';
import { sessionHints, splitTranscript, type CommandHint, type TranscriptPart } from './transcript-parts.ts';
import type { Warnings } from './warnings.ts';

/** One recognised piece of a file. */
export interface Piece {
  /** The file's path under DIR. */
  file: string;
  /** How messages name it: the file, or `file:line` of its prompt when the file holds several. */
  label: string;
  kind: Kind;
  text: string;
  /** Line of the file where `text` starts, minus one: add it to a line of `text`. */
  offset: number;
  /** Whether the piece is the whole file (then whole-file warnings are at line 0). */
  whole: boolean;
  command?: string;
  hint: CommandHint;
  name: NameHint;
}

/** A piece's parser warnings, at the piece's lines of its file. */
export function addParsed(warn: Warnings, p: Piece, warnings: readonly ParseWarning[]): void {
  warn.addParsed(
    p.file,
    warnings.map((w) => ({ ...w, line: w.line + p.offset })),
  );
}

/** A whole-piece warning: line 0 for a whole file, else the piece's first line. */
export const warnPiece = (warn: Warnings, p: Piece, problem: string): void =>
  warn.add(p.file, p.whole ? 0 : p.offset + 1, problem);

const REDIS_CLI_WARNING =
  /^Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe\.$/gm;

const isKind = (k: string | undefined): k is Kind => k !== undefined && k in KINDS;

/** Why an error reply is no evidence, and what to do. */
function errorProblem(kind: Kind, text: string): string {
  const first = text.trim().split('\n').at(-1)!.trim();
  switch (kind) {
    case 'auth-error':
      return 'this output is an authentication error: pass the password to redis-cli (-a or REDISCLI_AUTH)';
    case 'connect-error':
      return `redis-cli could not connect (${first}): run it where the server listens, e.g. kubectl exec POD -- redis-cli …`;
    case 'kubectl-error':
      return `kubectl failed (${first}): check the namespace (-n), the pod name and the context`;
    default:
      return `a Redis error reply (${first}): the command did not run`;
  }
}

const NOT_RECOGNISED =
  'not a file rcnc analyze reads: its text is none of the outputs it knows (CLUSTER NODES/INFO/SHARDS/SLOTS, ROLE, ' +
  'INFO, SENTINEL replies, sentinel.conf/redis.conf, Redis logs, redis-cli --cluster output, ss/netstat, tcpdump, ' +
  'kubectl get pods/nodes/svc, ip addr/ifconfig)';
const NOT_RECOGNISED_PART = NOT_RECOGNISED.replace(/^not a file rcnc analyze reads: its text/, 'their text');

/** The pieces of one file; warnings name the file and line of anything that is not evidence. */
/** Where a part is in its file, and what its command and the file's name say. */
interface PartContext {
  file: string;
  transcript: boolean;
  hint: CommandHint;
  name: NameHint;
  part: TranscriptPart;
}

/** The recognised runs of one part as pieces; the rest as warnings. */
function partPieces(ctx: PartContext, warn: Warnings): Piece[] {
  const { file, transcript, hint, name, part } = ctx;
  const lines = part.text.split('\n');
  const out: Piece[] = [];
  for (const seg of recognise(part.text, [hint.kind, name.kind])) {
    const text = lines.slice(seg.from - 1, seg.to).join('\n');
    const whole = !transcript && seg.from === 1 && seg.to === lines.length;
    const kind = seg.kind ?? [hint.kind, name.kind].find(isKind);
    const at = part.firstLine + seg.from - 1;
    if (!kind || ERROR_KINDS.has(kind)) {
      if (text.trim() !== '') {
        const where = `lines ${at}–${part.firstLine + seg.to - 1}: `;
        const why = kind ? errorProblem(kind, text) : whole ? NOT_RECOGNISED : where + NOT_RECOGNISED_PART;
        warn.add(file, whole ? 0 : at, why);
      }
      continue;
    }
    const label = whole ? file : `${file}:${transcript ? part.firstLine - 1 : at}`;
    const command = part.command ? { command: part.command } : {};
    out.push({ file, label, kind, text, offset: at - 1, whole, ...command, hint, name });
  }
  return out;
}

/** The pieces of one file; warnings name the file and line of anything that is not evidence. */
export function filePieces(file: string, text: string, warn: Warnings): Piece[] {
  // redis-cli's warning about -a goes to stderr, which a terminal shows among the output; a blank
  // line in its place keeps the line numbers.
  const parts = splitTranscript(text.replace(REDIS_CLI_WARNING, ''));
  const transcript = parts.some((p) => p.command !== undefined);
  // A transcript's name may say whose it is (`redis-0.session.txt`), never what each part is.
  const fromName = nameHint(file);
  const name: NameHint = transcript ? (fromName.owner && fromName.named ? { owner: fromName.owner } : {}) : fromName;
  if (!parts.length && isKind(name.kind)) {
    // An empty file with a name analyze knows: the command printed nothing, which is evidence too.
    return [{ file, label: file, kind: name.kind, text: '', offset: 0, whole: true, hint: {}, name }];
  }
  const hints = sessionHints(parts);
  return parts.flatMap((part, i) => {
    const hint = hints[i]!;
    if (part.text.trim() !== '') {
      return partPieces({ file, transcript, hint, name, part }, warn);
    }
    // An interactive shell or redis-cli prints nothing before its own prompt: only a command
    // whose output analyze reads is missed.
    if (hint.kind) {
      warn.add(file, part.firstLine - 1, `\`${part.command}\` printed nothing`);
    }
    return [];
  });
}
