// The StatefulSet pieces a fix needs, paste-ready: the downward API gives a container its pod IP
// (status.podIP) and its node's IP (status.hostIP), and Kubernetes expands $(VAR) in args from the
// container's env (https://kubernetes.io/docs/tasks/inject-data-application/environment-variable-expose-pod-information/,
// https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/).
// A NodePort Service per pod selects it by the label the StatefulSet controller gives each pod,
// statefulset.kubernetes.io/pod-name (https://kubernetes.io/docs/reference/labels-annotations-taints/);
// the pod learns its NodePorts because they are fixed per ordinal (base + ordinal), which its start
// command computes from its own name.
import type { Snippet } from './deployers.ts';

/** Each pod announces its pod IP: what undoes a masquerade of pod-to-pod traffic (.0, node IP, loopback). */
export function podIpSnippet(setting: 'cluster-announce-ip' | 'replica-announce-ip'): Snippet {
  return {
    title: `StatefulSet: each pod announces its own pod IP (${setting}, from the downward API)`,
    language: 'yaml',
    text: [
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: redis',
      '          env:',
      '            - name: POD_IP',
      '              valueFrom:',
      '                fieldRef:',
      '                  fieldPath: status.podIP',
      '          args: ["/etc/redis/redis.conf", "--' + setting + '", "$(POD_IP)"]',
    ].join('\n'),
  };
}

/**
 * One NodePort Service per pod, and the pod announcing its node IP and those NodePorts. `first`
 * gives pod 0's NodePorts; the others follow by ordinal.
 */
export function nodePortSnippets(statefulSet: string, first = { data: 30000, bus: 31000 }): Snippet[] {
  return [
    {
      title: `A NodePort Service per pod (repeat for ${statefulSet}-1, -2, … with the next NodePorts)`,
      language: 'yaml',
      text: [
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        `  name: ${statefulSet}-0-nodeport`,
        'spec:',
        '  type: NodePort',
        '  selector:',
        `    statefulset.kubernetes.io/pod-name: ${statefulSet}-0`,
        '  ports:',
        `    - { name: client, port: 6379, targetPort: 6379, nodePort: ${first.data} }`,
        `    - { name: bus, port: 16379, targetPort: 16379, nodePort: ${first.bus} }`,
      ].join('\n'),
    },
    {
      title: 'StatefulSet: each pod announces its node IP (status.hostIP) and its own NodePorts (base + ordinal)',
      language: 'yaml',
      text: [
        'spec:',
        '  template:',
        '    spec:',
        '      containers:',
        '        - name: redis',
        '          env:',
        '            - name: HOST_IP',
        '              valueFrom:',
        '                fieldRef:',
        '                  fieldPath: status.hostIP',
        '            - name: POD_NAME',
        '              valueFrom:',
        '                fieldRef:',
        '                  fieldPath: metadata.name',
        '          command: ["sh", "-c"]',
        '          args:',
        '            - |',
        '              i=${POD_NAME##*-}',
        '              exec redis-server /etc/redis/redis.conf \\',
        '                --cluster-announce-ip "$HOST_IP" \\',
        `                --cluster-announce-port $((${first.data} + i)) \\`,
        `                --cluster-announce-bus-port $((${first.bus} + i))`,
      ].join('\n'),
    },
  ];
}
