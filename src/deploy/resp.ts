// One Redis command over a unix socket, in this process: where a provider makes a pod's Redis
// socket reachable on this machine (the netns lab), reading views and sending CLUSTER commands
// costs no process, while `redis-cli` through the pod's namespace costs two. The reply is rendered
// the way redis-cli prints it when its output is not a terminal, so callers read the same text.
import { createConnection } from 'node:net';

export type RespValue = string | number | null | RespError | RespValue[];

export class RespError {
  constructor(readonly message: string) {}
}

const encode = (args: string[]): string =>
  `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');

/** Parses one reply from `buf` at `at`; undefined when more bytes are needed. */
function parse(buf: Buffer, at: number): { value: RespValue; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol === -1) {
    return undefined;
  }
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  switch (type) {
    case '+':
      return { value: line, next: eol + 2 };
    case '-':
      return { value: new RespError(line), next: eol + 2 };
    case ':':
      return { value: Number(line), next: eol + 2 };
    case '$': {
      const len = Number(line);
      if (len < 0) {
        return { value: null, next: eol + 2 };
      }
      const end = eol + 2 + len;
      return buf.length < end + 2 ? undefined : { value: buf.toString('utf8', eol + 2, end), next: end + 2 };
    }
    case '*': {
      const n = Number(line);
      const items: RespValue[] = [];
      let next = eol + 2;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, next);
        if (!item) {
          return undefined;
        }
        items.push(item.value);
        next = item.next;
      }
      return { value: n < 0 ? null : items, next };
    }
    default:
      throw new Error(`not a RESP reply (starts with ${JSON.stringify(type)})`);
  }
}

/** Sends one command and resolves with its reply; rejects when the socket cannot be used. */
export async function respCall(path: string, args: string[], timeoutMs = 10_000): Promise<RespValue> {
  return (await respPipeline(path, [args], timeoutMs))[0]!;
}

/**
 * Sends the commands in one write over one connection and resolves with their replies in order
 * (Redis answers a pipeline in the order it was sent).
 */
export function respPipeline(path: string, commands: string[][], timeoutMs = 10_000): Promise<RespValue[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let at = 0;
    const replies: RespValue[] = [];
    const socket = createConnection({ path });
    const fail = (e: Error) => {
      socket.destroy();
      reject(e);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no reply within ${timeoutMs} ms`)));
    socket.on('error', fail);
    socket.on('connect', () => socket.write(commands.map(encode).join('')));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        for (let reply = parse(buf, at); reply; reply = parse(buf, at)) {
          replies.push(reply.value);
          at = reply.next;
        }
        if (replies.length === commands.length) {
          socket.end();
          resolve(replies);
        }
      } catch (e) {
        fail(e as Error);
      }
    });
  });
}

/** The reply as redis-cli prints it without a terminal: errors as their text, arrays one item a line. */
export function renderReply(v: RespValue): string {
  if (v === null) {
    return '';
  }
  if (v instanceof RespError) {
    return v.message;
  }
  if (Array.isArray(v)) {
    return v.map(renderReply).join('\n');
  }
  return String(v);
}
