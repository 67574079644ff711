// How results.json's sentinel cells are checked (src/report/validate.ts).
import { ADDRESS_CLASSES } from '../../src/model/dimensions.ts';
import { SENTINEL_VANTAGES } from '../../src/model/results.ts';
import {
  arrayOf,
  bool,
  CLIENT_SUMMARY,
  fields,
  NAT_MAPPINGS,
  nonNegative,
  oneOf,
  optional,
  str,
  strings,
  TIMELINE,
} from '../../src/model/rules.ts';
import { FAILOVER_OUTCOMES } from './types.ts';

const RECORD = fields({
  seenBy: str,
  kind: oneOf(['replica', 'sentinel']),
  address: str,
  flags: strings,
  member: optional(str),
  class: oneOf(ADDRESS_CLASSES),
  owner: str,
});

const CLIENT_REACH = fields({
  vantage: oneOf(SENTINEL_VANTAGES),
  from: str,
  asked: str,
  answer: optional(str),
  connected: bool,
  role: optional(str),
  error: optional(str),
});

const STATE = fields({
  masterInfo: strings,
  handedOut: strings,
  records: arrayOf(RECORD),
  clients: arrayOf(CLIENT_REACH),
});

const FAILOVER = fields({
  how: str,
  outcome: oneOf(FAILOVER_OUTCOMES),
  promoted: optional(str),
  newMaster: optional(str),
  afterMs: optional(nonNegative),
  detail: optional(str),
  clients: optional(arrayOf(CLIENT_REACH)),
  client: optional(CLIENT_SUMMARY),
  timeline: optional(TIMELINE),
});

export const sentinelSchema = {
  expectation: fields({
    replicas: oneOf(['true-address', 'rewritten']),
    rewriteClasses: optional(arrayOf(oneOf(ADDRESS_CLASSES))),
    failover: bool,
    fixWorks: optional(bool),
    clientsReach: arrayOf(oneOf(SENTINEL_VANTAGES)),
    keepsConfirmedWrites: optional(bool),
    survivesRestart: optional(bool),
    summary: str,
    source: str,
  }),
  observation: fields({
    members: strings,
    deployed: STATE,
    rewritten: arrayOf(RECORD),
    rewriteClasses: arrayOf(oneOf(ADDRESS_CLASSES)),
    collapsed: optional(strings),
    probes: optional(
      arrayOf(fields({ address: str, answeredBy: optional(str), role: optional(str), error: optional(str) })),
    ),
    failover: optional(FAILOVER),
    restart: optional(FAILOVER),
    fix: optional(
      fields({ settings: strings, state: STATE, failover: optional(FAILOVER), restart: optional(FAILOVER) }),
    ),
    natMappings: optional(NAT_MAPPINGS),
    replicationSources: optional(strings),
    captureSkipped: optional(str),
    events: strings,
    notes: strings,
  }),
};
