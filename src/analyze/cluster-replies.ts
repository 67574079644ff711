// CLUSTER SHARDS and CLUSTER SLOTS, from their flattened values (redis-reply.ts): the nodes each
// lists and where. SHARDS gives name/value pairs per node (`id`, `port`, `ip`, `endpoint`, `role`,
// `health`, cluster.c addNodeDetailsToShardReply); SLOTS gives a slot range, then per node its ip
// and port, its id since Redis 4 and a metadata map since Redis 7.

export interface ShardNode {
  id?: string;
  ip: string;
  port: number;
  role?: string;
  health?: string;
}

const NODE_ID = /^[0-9a-f]{40}$/;
const isInt = (x: string | undefined) => x !== undefined && /^\d+$/.test(x);

/** One node's fields, from the pairs after its `id` up to the next node or shard. */
function shardNode(v: string[], at: number): ShardNode {
  const node: ShardNode = { id: v[at + 1]!, ip: '', port: 0 };
  for (let j = at + 2; j + 1 < v.length && v[j] !== 'id' && v[j] !== 'slots'; j += 2) {
    const value = v[j + 1]!;
    switch (v[j]) {
      case 'ip':
        node.ip = value;
        break;
      case 'port':
        node.port = Number(value);
        break;
      case 'role':
        node.role = value;
        break;
      case 'health':
        node.health = value;
        break;
    }
  }
  return node;
}

export function parseShards(v: string[]): ShardNode[] {
  return v.flatMap((x, i) => (x === 'id' && NODE_ID.test(v[i + 1] ?? '') ? [shardNode(v, i)] : []));
}

export function parseSlots(v: string[]): ShardNode[] {
  const out: ShardNode[] = [];
  let i = 0;
  while (i + 1 < v.length) {
    if (!isInt(v[i]) || !isInt(v[i + 1])) {
      i++;
      continue;
    }
    i += 2;
    while (i + 1 < v.length && !(isInt(v[i]) && isInt(v[i + 1]))) {
      if (!/^[0-9a-f.:]*$/i.test(v[i]!) || !isInt(v[i + 1])) {
        i++;
        continue;
      }
      const node: ShardNode = { ip: v[i]!, port: Number(v[i + 1]) };
      i += 2;
      if (NODE_ID.test(v[i] ?? '')) {
        node.id = v[i++]!;
      }
      out.push(node);
    }
  }
  return out;
}
