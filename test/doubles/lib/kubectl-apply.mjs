// `kubectl apply` (client-side: a three-way merge against the last-applied-configuration annotation;
// server-side with --server-side: field managers, conflicts, no annotation) and `kubectl create`. Merges
// follow strategic merge patch for the lists a runbook touches: elements keyed by `name` (or `port`).
import {
  getObject,
  KINDS,
  objectKey,
  pluralName,
  resourceName,
  serverCreate,
  serverUpdate,
} from './cluster.mjs';
import { canonical, ToolError } from './state.mjs';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const isMap = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const mergeKey = (item) =>
  isMap(item) ? (item.name !== undefined ? 'name' : item.port !== undefined ? 'port' : undefined) : undefined;

/** live + (modified - original): what a strategic three-way merge patch leaves. */
export function merge3(live, original, modified) {
  if (isMap(modified) && isMap(live)) {
    const out = { ...live };
    for (const [key, value] of Object.entries(modified)) out[key] = merge3(live[key], original?.[key], value);
    for (const key of Object.keys(original ?? {})) if (!(key in modified)) delete out[key];
    return out;
  }
  if (Array.isArray(modified) && Array.isArray(live) && modified.every((item) => mergeKey(item))) {
    const keyOf = (item) => `${mergeKey(item)}=${item[mergeKey(item)]}`;
    const wanted = new Map(modified.map((item) => [keyOf(item), item]));
    const dropped = new Set(
      (Array.isArray(original) ? original : []).map(keyOf).filter((k) => !wanted.has(k)),
    );
    const out = live
      .filter((item) => !dropped.has(keyOf(item)))
      .map((item) =>
        wanted.has(keyOf(item))
          ? merge3(
              item,
              (original ?? []).find((o) => keyOf(o) === keyOf(item)),
              wanted.get(keyOf(item)),
            )
          : item,
      );
    for (const [key, item] of wanted) if (!live.some((l) => keyOf(l) === key)) out.push(item);
    return out;
  }
  return modified;
}

/** Dotted paths of the leaves of `value` that differ in `live`. */
function differingFields(value, live, prefix = '') {
  if (isMap(value))
    return Object.entries(value).flatMap(([k, v]) => differingFields(v, live?.[k], `${prefix}.${k}`));
  return canonical(value) === canonical(live) ? [] : [prefix];
}

export function placeInNamespace(object, flags) {
  if (!KINDS[object.kind]?.namespaced) return;
  object.metadata ??= {};
  if (flags.namespace && object.metadata.namespace && object.metadata.namespace !== flags.namespace) {
    throw new ToolError(
      `error: the namespace from the provided object "${object.metadata.namespace}" does not match the namespace "${flags.namespace}". You must pass '--namespace=${object.metadata.namespace}' to perform this operation.`,
    );
  }
  object.metadata.namespace ??= flags.namespace ?? 'default';
}

/** The API server refuses to change a running pod's spec beyond a few fields. */
function checkPodUpdate(existing, merged) {
  if (existing.kind === 'Pod' && canonical(existing.spec) !== canonical(merged.spec)) {
    throw new ToolError(
      `The Pod "${existing.metadata.name}" is invalid: spec: Forbidden: pod updates may not change fields other than \`spec.containers[*].image\`,\`spec.initContainers[*].image\`,\`spec.activeDeadlineSeconds\`,\`spec.tolerations\` (only additions to existing tolerations),\`spec.terminationGracePeriodSeconds\` (allow it to be set to 1 if it was previously negative)`,
    );
  }
}

/** Client-side apply of one object; returns kubectl's line for it. */
export function applyClientSide(cluster, object, source) {
  const label = `${resourceName(object.kind)}/${object.metadata.name}`;
  const config = structuredClone(object);
  delete config.metadata.resourceVersion;
  const annotated = structuredClone(config);
  annotated.metadata.annotations = {
    ...(annotated.metadata.annotations ?? {}),
    [LAST_APPLIED]: `${JSON.stringify(config)}\n`,
  };
  const existing = getObject(cluster, object.kind, object.metadata.namespace, object.metadata.name);
  if (!existing) {
    // Apply creates through the same Helper.Create(modify=true) as `kubectl create`.
    serverCreate(cluster, annotated, { source, manager: 'kubectl-client-side-apply' });
    return `${label} created`;
  }
  const recorded = existing.metadata.annotations?.[LAST_APPLIED];
  if (!recorded) {
    process.stderr.write(
      `Warning: resource ${pluralName(object.kind)}/${object.metadata.name} is missing the ${LAST_APPLIED} annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.\n`,
    );
  }
  const original = recorded ? JSON.parse(recorded) : {};
  const { metadata: liveMeta, ...liveRest } = existing;
  const merged = merge3({ ...liveRest, metadata: liveMeta }, original, annotated);
  merged.metadata = { ...merged.metadata, resourceVersion: existing.metadata.resourceVersion };
  checkPodUpdate(existing, merged);
  const updated = serverUpdate(cluster, existing, merged, { manager: 'kubectl-client-side-apply' });
  return `${label} ${updated === existing ? 'unchanged' : 'configured'}`;
}

/** Server-side apply of one object: the manager owns what it applies; others' fields conflict. */
export function applyServerSide(cluster, object, source, { manager = 'kubectl', force = false } = {}) {
  const label = `${resourceName(object.kind)}/${object.metadata.name}`;
  const config = structuredClone(object);
  const existing = getObject(cluster, object.kind, object.metadata.namespace, object.metadata.name);
  cluster.applied ??= {};
  const key = objectKey(config);
  if (!existing) {
    if (config.metadata.resourceVersion) {
      throw new ToolError(
        `Error from server (Conflict): error when creating "${source}": Operation cannot be fulfilled on ${pluralName(object.kind)} "${object.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    serverCreate(cluster, config, { source, manager, operation: 'Apply' });
    cluster.applied[key] = { [manager]: config };
    return `${label} serverside-applied`;
  }
  const previous = cluster.applied[key]?.[manager];
  const others = existing.metadata.managedFields.filter((f) => f.manager !== manager).map((f) => f.manager);
  if (!previous && others.length > 0 && !force) {
    const { metadata, ...rest } = config;
    const live = structuredClone(existing);
    if (config.kind === 'Secret' && config.stringData) {
      rest.data = {
        ...(rest.data ?? {}),
        ...Object.fromEntries(
          Object.entries(config.stringData).map(([k, v]) => [k, Buffer.from(String(v)).toString('base64')]),
        ),
      };
      delete rest.stringData;
    }
    const conflicts = differingFields(rest, live).filter(
      (field) => !field.startsWith('.apiVersion') && !field.startsWith('.kind'),
    );
    if (conflicts.length > 0) {
      throw new ToolError(
        `error: Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: conflict with "${others[0]}" using ${object.apiVersion}: ${conflicts.join(', ')}\nPlease review the fields above--they currently have other managers. Here\nare the ways you can resolve this warning:\n* If you intend to manage all of these fields, please re-run the apply\n  command with the \`--force-conflicts\` flag.\n* If you do not intend to manage all of the fields, please edit your\n  manifest to remove references to the fields that should keep their\n  current managers.\n* You may co-own fields by updating your manifest to match the existing\n  value; in this case, you'll become the manager if the other manager(s)\n  stop managing the field (remove it from their configuration).\nSee https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts`,
      );
    }
  }
  const merged = merge3(existing, previous ?? {}, config);
  merged.metadata = { ...merged.metadata, resourceVersion: existing.metadata.resourceVersion };
  checkPodUpdate(existing, merged);
  serverUpdate(cluster, existing, merged, { manager, operation: 'Apply' });
  cluster.applied[key] = { ...(cluster.applied[key] ?? {}), [manager]: config };
  return `${label} serverside-applied`;
}

/** `kubectl create -f`: cli-runtime's Helper.Create(modify=true) clears resourceVersion before the POST. */
export function createObject(cluster, object, source) {
  delete object.metadata?.resourceVersion;
  serverCreate(cluster, object, { source, manager: 'kubectl-create' });
  return `${resourceName(object.kind)}/${object.metadata.name} created`;
}
