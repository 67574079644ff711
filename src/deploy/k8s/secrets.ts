// Reading a Secret someone else made (rcnc collect --password-secret, --tls-secret), through the
// API server: the values are decoded in memory and never printed; errors name the Secret and its
// keys, not what they hold.
import { ApiException } from '@kubernetes/client-node';
import { UsageError } from '../../util/errors.ts';
import { apiMessage, type KubeClient } from './apply.ts';

/** The Secret's keys and their decoded values. */
export async function readSecret(kube: KubeClient, namespace: string, name: string): Promise<Map<string, Buffer>> {
  try {
    const secret = await kube.core.readNamespacedSecret({ name, namespace });
    return new Map(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) {
      throw new UsageError(
        `Secret ${name} is not in namespace ${namespace}; list them: kubectl -n ${namespace} get secrets`,
        {
          cause: e,
        },
      );
    }
    if (e instanceof ApiException && e.code === 403) {
      throw new UsageError(
        `reading Secret ${name} in namespace ${namespace} is not allowed (${apiMessage(e)}); it needs 'get' on secrets there, or pass the value another way`,
        { cause: e },
      );
    }
    throw e;
  }
}
