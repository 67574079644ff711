// `rcnc collect --bundle FILE.tar.gz`: one archive to attach to an issue or hand to a colleague:
// the collected files, the analysis as text and JSON, the versions, and a manifest (each file's
// size and sha256), with secrets redacted (redact.ts) in every file. Packet captures stay out: their
// payloads may hold any client's AUTH, which no rule can find in binary data.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { run } from '../util/exec.ts';
import { redact } from './redact.ts';

export interface BundleInput {
  /** The archive to write (.tar.gz or .tgz). */
  file: string;
  /** The collected dir and the files in it to include, relative to it. */
  dir: string;
  files: readonly string[];
  analysis: { text: string; json: string };
  versions: Record<string, unknown>;
  /** Values to redact wherever they appear (the password collect used). */
  secrets: readonly string[];
}

export interface ManifestEntry {
  path: string;
  bytes: number;
  sha256: string;
  /** Values replaced by <redacted> in this file. */
  redactions: number;
}

export interface Bundle {
  file: string;
  files: ManifestEntry[];
  leftOut: { path: string; why: string }[];
}

const MANIFEST = 'manifest.json';

/** Binary files are left out: redaction rules read text. */
const isBinary = (path: string, data: Buffer) => path.startsWith('pcap/') || data.includes(0);

/** The archive's top folder: the file's name without .tar.gz. */
export const bundleTop = (file: string) => basename(file).replace(/\.(tar\.gz|tgz)$/, '') || 'rcnc-collect';

export async function writeBundle(b: BundleInput): Promise<Bundle> {
  const staging = await mkdtemp(join(tmpdir(), 'rcnc-bundle-'));
  try {
    const top = join(staging, bundleTop(b.file));
    const entries: ManifestEntry[] = [];
    const leftOut: Bundle['leftOut'] = [];
    const put = async (path: string, text: string) => {
      const r = redact(text, b.secrets);
      await mkdir(dirname(join(top, path)), { recursive: true });
      await writeFile(join(top, path), r.text);
      const bytes = Buffer.byteLength(r.text);
      entries.push({ path, bytes, sha256: createHash('sha256').update(r.text).digest('hex'), redactions: r.count });
    };
    for (const f of b.files) {
      const data = await readFile(join(b.dir, f));
      if (isBinary(f, data)) {
        leftOut.push({
          path: `collected/${f}`,
          why: 'binary (a capture may hold any client AUTH); it stays in the dir',
        });
        continue;
      }
      await put(`collected/${f}`, data.toString('utf8'));
    }
    await put('analysis.txt', b.analysis.text);
    await put('analysis.json', b.analysis.json);
    await put('versions.json', JSON.stringify(b.versions, null, 2) + '\n');
    const manifest = {
      note: 'passwords, tokens, keys and certificates are replaced by <redacted>; redactions counts them per file',
      files: entries,
      leftOut,
    };
    await writeFile(join(top, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    const tmp = `${b.file}.rcnc-tmp`;
    try {
      await run(['tar', '-czf', tmp, '--owner=0', '--group=0', '--numeric-owner', '-C', staging, bundleTop(b.file)]);
      await rename(tmp, b.file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return { file: b.file, files: entries, leftOut };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
