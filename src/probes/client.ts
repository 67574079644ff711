// The external load client: an ioredis Cluster client that runs inside a lab (or pod) network
// namespace and drives a bounded, paced write/read load while a scenario injects faults. The
// runner never talks to Redis itself (design.md: the runner reaches Redis only through `ip netns
// exec`); it starts `client-worker.ts` with `topology.spawn` and speaks JSON lines over stdio
// (client-protocol.ts):
//
//   runner → worker   line 1: WorkerConfig; then {"cmd":"start"|"stop"|"verify"|"quit"}
//   worker → runner   {"ev":"ready"}, {"ev":"started"}, one {"ev":"op"} per command, {"ev":"done"},
//                     {"ev":"verified"}, {"ev":"log"} (client events), {"ev":"fatal"}
//
// Writes are `SET <prefix>:<seq> <seq>` with a unique seq each, so a key missing (or holding
// another value) after the fact is exactly one lost acknowledged write. Every `waitEvery`-th write
// is followed by `WAIT 1 <timeout>` on the same connection; those confirmed by a replica must
// survive a failover.
//
// This module is the load client's entry; each seam has a file of its own, re-exported here: the
// protocol (client-protocol.ts), the report arithmetic over the records (client-stats.ts: pure, so
// unit tests cover it with synthetic records), where a client reaches the cluster
// (client-endpoints.ts), and the runner side that drives the worker (client-runner.ts).
export * from './client-endpoints.ts';
export type * from './client-protocol.ts';
export * from './client-runner.ts';
export * from './client-stats.ts';
