// How results.json's cases cells are checked (src/report/validate.ts).
import { bool, fields, oneOf, optional, str, strings } from '../../src/model/rules.ts';
import { RECORD_CLASSES } from './types.ts';

const SYMPTOM = fields({ state: str, recordedAs: optional(oneOf(RECORD_CLASSES)) });
const PHASE = fields({
  state: str,
  recorded: optional(str),
  recordedAs: optional(oneOf(RECORD_CLASSES)),
  owner: optional(str),
  evidence: str,
});

export const casesSchema = {
  expectation: fields({
    thread: str,
    reported: str,
    subject: str,
    failure: SYMPTOM,
    fix: str,
    fixed: SYMPTOM,
    summary: str,
    source: str,
  }),
  observation: fields({
    thread: str,
    failure: PHASE,
    applied: strings,
    fixed: optional(PHASE),
    reproduced: bool,
    fixWorks: bool,
    notes: strings,
  }),
};
