// How kubectl prints objects: the default table columns per kind (as the API server's table converters
// and kubectl's printers lay them out), Node objects made from the k3d node containers, and jsonpath.

export function nodeObjects(cluster) {
  return cluster.nodes
    .filter((node) => node.role === 'server' || node.role === 'agent')
    .map((node) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: node.name,
        labels: { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true' },
      },
      status: {
        addresses: [{ type: 'InternalIP', address: node.ip }],
        conditions: [{ type: 'Ready', status: node.running ? 'True' : 'Unknown' }],
        nodeInfo: {
          kubeletVersion: `${node.image.split(':')[1]?.replace(/-k3s/, '+k3s') ?? 'v1.30.4+k3s1'}`,
        },
      },
    }));
}

/** `{.a.b[0].c}` and `{.data.root-cert\.pem}` (escaped dots), the subset of jsonpath a runbook uses. */
export function jsonPath(object, expression) {
  const body = expression.replace(/^\{|\}$/g, '').replace(/^\./, '');
  const parts = [];
  let current = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && body[i + 1] === '.') {
      current += '.';
      i++;
    } else if (body[i] === '.') {
      parts.push(current);
      current = '';
    } else if (body[i] === '[') {
      if (current) parts.push(current);
      const end = body.indexOf(']', i);
      parts.push(body.slice(i + 1, end).replace(/^'|'$/g, ''));
      current = '';
      i = end;
      if (body[i + 1] === '.') i++;
    } else current += body[i];
  }
  if (current) parts.push(current);
  const value = parts.reduce((node, part) => (node == null ? undefined : node[part]), object);
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : value;
}

function podStatus(pod) {
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state.waiting.reason;
  if (pod.status?.phase === 'Running') return 'Running';
  return waiting ?? pod.status?.phase ?? 'Pending';
}

/** `15021:31234/TCP,15443:30411/TCP`: NodePort and LoadBalancer Services show their node ports. */
function servicePorts(service) {
  return service.spec.ports
    .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`)
    .join(',');
}

const COLUMNS = {
  Namespace: [['NAME', 'STATUS', 'AGE'], (o) => [o.metadata.name, o.status?.phase ?? 'Active', '5m']],
  Node: [
    ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    (o) => [
      o.metadata.name,
      o.status.conditions[0].status === 'True' ? 'Ready' : 'NotReady',
      'control-plane,master',
      '5m',
      o.status.nodeInfo.kubeletVersion,
    ],
  ],
  Pod: [
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    (o) => {
      const total = o.spec.containers.length;
      const ready =
        o.status?.phase === 'Running'
          ? total
          : (o.status?.containerStatuses ?? []).filter((c) => c.ready).length;
      return [o.metadata.name, `${ready}/${total}`, podStatus(o), '0', '5m'];
    },
  ],
  Service: [
    ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    (o) => [
      o.metadata.name,
      o.spec.type ?? 'ClusterIP',
      o.spec.clusterIP ?? '',
      o.status?.loadBalancer?.ingress?.map((i) => i.ip).join(',') ||
        (o.spec.type === 'LoadBalancer' ? '<pending>' : '<none>'),
      servicePorts(o),
      '5m',
    ],
  ],
  Deployment: [
    ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    (o) => {
      const want = o.spec?.replicas ?? 1;
      const ready = o.status?.readyReplicas ?? 0;
      return [
        o.metadata.name,
        `${ready}/${want}`,
        String(o.status?.replicas ?? 0),
        String(o.status?.availableReplicas ?? 0),
        '5m',
      ];
    },
  ],
  Secret: [
    ['NAME', 'TYPE', 'DATA', 'AGE'],
    (o) => [o.metadata.name, o.type ?? 'Opaque', String(Object.keys(o.data ?? {}).length), '5m'],
  ],
  ConfigMap: [
    ['NAME', 'DATA', 'AGE'],
    (o) => [o.metadata.name, String(Object.keys(o.data ?? {}).length), '5m'],
  ],
  ServiceAccount: [['NAME', 'SECRETS', 'AGE'], (o) => [o.metadata.name, '0', '5m']],
};

export function table(kind, objects, { showLabels = false, namespaceColumn = false, headers = true } = {}) {
  const [head, row] = COLUMNS[kind] ?? [['NAME', 'AGE'], (o) => [o.metadata.name, '5m']];
  const all = headers
    ? [[...(namespaceColumn ? ['NAMESPACE'] : []), ...head, ...(showLabels ? ['LABELS'] : [])]]
    : [];
  for (const object of objects) {
    const labels =
      Object.entries(object.metadata.labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>';
    all.push([
      ...(namespaceColumn ? [object.metadata.namespace ?? ''] : []),
      ...row(object),
      ...(showLabels ? [labels] : []),
    ]);
  }
  const widths = all[0].map((_, column) => Math.max(...all.map((r) => String(r[column]).length)));
  return `${all
    .map((r) =>
      r
        .map((cell, column) => String(cell).padEnd(widths[column] + 3))
        .join('')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
