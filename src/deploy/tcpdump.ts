// PLACEHOLDER until the capture helper lands (replaced wholesale by its implementation).
import type { Capture, CaptureOptions } from './provider.ts';

export function startTcpdump(_prefix: string[], _opts: CaptureOptions & { dir: string }): Promise<Capture> {
  return Promise.reject(new Error('packet capture is not implemented yet'));
}
