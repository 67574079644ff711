// How results.json's snat cells are checked (src/report/validate.ts).
import { fields, oneOf, optional, str, strings } from '../../src/model/rules.ts';
import { REWRITE_CLASSES } from './types.ts';

export const snatSchema = {
  expectation: fields({ rewrite: oneOf(REWRITE_CLASSES), summary: str, source: str, knownFix: optional(str) }),
  observation: fields({
    path: str,
    from: str,
    source: str,
    target: str,
    seen: optional(str),
    rewrite: oneOf(REWRITE_CLASSES),
    owner: str,
    evidence: str,
    notes: strings,
  }),
};
