// How long a k3d cluster start may take, phase by phase, and how many nodes a cluster has. Kept
// apart from the code that starts clusters (and imports nothing) so the provider's traits
// (module.ts), which the test runner's config reads, do not load client-node.

/** Agents a shared cluster has: the most nodes any cell of the matrix asks for. */
export const DEFAULT_AGENTS = 3;

/** Time bounds of a start's phases; a test that may start a cluster needs their sum. */
export const K3D_PHASE_BOUNDS_MS = {
  /** k3d rolls back a create that exceeds its own --timeout (180 s); this bounds the CLI call. */
  create: 360_000,
  kubeconfig: 30_000,
  importImage: 180_000,
  /** Operator manifest download (60 s), its CRDs served (60 s), tigerastatus Available (300 s). */
  calico: 420_000,
  nodesReady: 300_000,
} as const;

/** The sum: what a test that may start a cluster must allow for it. */
export const K3D_START_BUDGET_MS = Object.values(K3D_PHASE_BOUNDS_MS).reduce((a, b) => a + b, 0);

/**
 * A cell on a real cluster once it runs: pods pulled and scheduled, every step through the API
 * server, its namespace deleted (a cluster start, where a cell needs one, comes on top).
 */
export const K8S_CELL_BUDGET_MS = 600_000;
