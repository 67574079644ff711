// Bytes of a collected file → the text the parsers read. People send what their shell wrote:
// PowerShell's `>` writes UTF-16 LE with a BOM, Notepad adds a UTF-8 BOM, Windows tools end lines
// with CRLF, terminals leave colour codes. Anything that is not text at all (a pcap saved under a
// .txt name, random bytes, a core dump) is reported once, never echoed line by line.
import { cleanText } from '../util/text.ts';

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export type Decoded = { text: string; encoding: Encoding; bom: boolean } | { problem: string };

// How much of a file the encoding and not-text checks look at.
const SAMPLE_BYTES = 64 * 1024;
// UTF-16 without a BOM: in ASCII-range text every other byte is NUL. Required share of NULs at
// the high-byte offsets, and the most allowed at the low-byte ones.
const UTF16_HIGH_NULS = 0.3;
const UTF16_LOW_NULS = 0.05;
// Text whose sample is more than this share of undecodable or control characters is not text.
const NOT_TEXT_SHARE = 0.1;

// eslint-disable-next-line no-control-regex -- counting control characters is the point
const BAD_CHAR = /[\u0000-\u0007\u000e-\u001a\u001c-\u001f\u007f\ufffd]/g;

function sniffEncoding(bytes: Buffer): { encoding: Encoding; skip: number } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { encoding: 'utf-8', skip: 3 };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { encoding: 'utf-16le', skip: 2 };
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { encoding: 'utf-16be', skip: 2 };
  }
  const pairs = Math.floor(Math.min(bytes.length, SAMPLE_BYTES) / 2);
  if (pairs === 0) {
    return { encoding: 'utf-8', skip: 0 };
  }
  let even = 0;
  let odd = 0;
  for (let i = 0; i < pairs; i++) {
    even += bytes[2 * i] === 0 ? 1 : 0;
    odd += bytes[2 * i + 1] === 0 ? 1 : 0;
  }
  if (odd / pairs >= UTF16_HIGH_NULS && even / pairs <= UTF16_LOW_NULS) {
    return { encoding: 'utf-16le', skip: 0 };
  }
  if (even / pairs >= UTF16_HIGH_NULS && odd / pairs <= UTF16_LOW_NULS) {
    return { encoding: 'utf-16be', skip: 0 };
  }
  return { encoding: 'utf-8', skip: 0 };
}

function decode(bytes: Buffer, encoding: Encoding): string {
  if (encoding === 'utf-8') {
    return bytes.toString('utf8');
  }
  // An odd trailing byte is half a character: a file cut short.
  const even = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return (encoding === 'utf-16be' ? even.swap16() : even).toString('utf16le');
}

/** Whether a decoded sample is mostly characters no transcript holds. */
export function looksLikeText(text: string): boolean {
  const sample = text.slice(0, SAMPLE_BYTES);
  if (sample.length === 0) {
    return true;
  }
  const bad = sample.match(BAD_CHAR)?.length ?? 0;
  return bad / sample.length <= NOT_TEXT_SHARE;
}

/**
 * Decodes a transcript: UTF-8 (a BOM is dropped), or UTF-16 LE/BE by BOM or by the NUL pattern of
 * ASCII text; then line ends become `\n` and colour codes and control characters go. A file that
 * is not text gives `{ problem: 'unreadable: not text' }`.
 */
export function decodeTranscript(bytes: Buffer): Decoded {
  const { encoding, skip } = sniffEncoding(bytes);
  const raw = decode(bytes.subarray(skip), encoding).replace(/^\ufeff/, '');
  if (!looksLikeText(raw)) {
    return { problem: 'unreadable: not text' };
  }
  return { text: cleanText(raw), encoding, bom: skip > 0 };
}
