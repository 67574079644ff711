// How results.json's recovery cells are checked (src/report/validate.ts).
import {
  bool,
  CLIENT_SUMMARY,
  count,
  fields,
  nonNegative,
  oneOf,
  optional,
  str,
  strings,
  TIMELINE,
} from '../../src/model/rules.ts';
import { HEALS } from './types.ts';

export const recoverySchema = {
  expectation: fields({ heals: oneOf(HEALS), summary: str, source: str }),
  observation: fields({
    action: str,
    timeline: optional(TIMELINE),
    duringFault: optional(str),
    failover: optional(fields({ promoted: str, afterMs: nonNegative })),
    remediation: optional(str),
    recovered: bool,
    recoveryMs: optional(nonNegative),
    keys: optional(fields({ written: count, readable: count })),
    client: optional(CLIENT_SUMMARY),
    clusterState: optional(str),
    slotsAssigned: optional(count),
    notes: strings,
  }),
};
