// How results.json's nat-meet cells are checked (src/report/validate.ts): every field a writer
// reads; what only passes through (the joiner, the formation figures) is not.
import { ADDRESS_CLASSES } from '../../src/model/dimensions.ts';
import { arrayOf, bool, count, fields, NAT_MAPPINGS, oneOf, optional, str, strings } from '../../src/model/rules.ts';

const MEETS = ['ok', 'fails'];

export const natMeetSchema = {
  expectation: fields({
    meet: oneOf(MEETS),
    ghostClass: optional(oneOf(ADDRESS_CLASSES)),
    fixWorks: optional(bool),
    summary: str,
    source: str,
  }),
  observation: fields({
    meet: oneOf(MEETS),
    ghosts: arrayOf(fields({ seenBy: str, nodeId: str, address: str, flags: strings })),
    ghostOwner: optional(str),
    ghostClass: optional(oneOf(ADDRESS_CLASSES)),
    failedDialBacks: arrayOf(fields({ pod: str, nodeId: str, address: str })),
    joinerSelf: optional(str),
    addNode: optional(fields({ ok: bool, lastLine: str })),
    busPeers: arrayOf(fields({ pod: str, local: str, peer: str, class: oneOf(ADDRESS_CLASSES) })),
    clusterState: optional(str),
    slotsAssigned: optional(count),
    fix: optional(fields({ settings: strings, meet: oneOf(MEETS), clusterState: str, nodeTimeoutMs: optional(count) })),
    natMappings: optional(NAT_MAPPINGS),
    captureSkipped: optional(str),
    notes: strings,
  }),
};
