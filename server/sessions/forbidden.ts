// Beginners meet "Error from server (Forbidden)" early (`kubectl get pods -A`, `kubectl create
// namespace`), and the raw RBAC sentence does not say why. The terminal reads the shell's output
// as it goes and, for each refusal it recognises, adds one plain sentence beside the terminal:
// what the platform allows and why. Each kind of refusal is explained once per connection.

const RBAC = /User "system:serviceaccount:[^"]+" cannot (\w+) resource "([^"]+)"(?: in API group "[^"]*")?(?: in the namespace "([^"]+)"| at the cluster scope)/;
const POD_SECURITY = /violates PodSecurity "(\w+):[^"]*": ([^\n]+)/;
const QUOTA = /exceeded quota: ([^,\s]+), requested: ([^,]+), used: [^,]+, limited: ([^\n]+)/;

/** The explanation of one line of output, if it is a refusal this platform causes. */
export function explainRefusal(line: string, namespace: string): { kind: string; message: string } | undefined {
  const rbac = RBAC.exec(line);
  if (rbac) {
    const [, verb = '', resource = '', inNamespace] = rbac;
    if (inNamespace === undefined) {
      return {
        kind: `cluster ${verb} ${resource}`,
        message: `Cluster-wide objects are shared by every learner on this cluster, so you may read some of them (nodes, storage classes, ingress classes) but not ${verb} ${resource}: everything you make lives in your namespace, ${namespace}.`,
      };
    }
    if (inNamespace !== namespace) {
      return {
        kind: 'other namespace',
        message: `You can act only in your own namespace, ${namespace}; other namespaces (${inNamespace} included) belong to the cluster or to other learners. Leave out -n (or use -n ${namespace}) and kubectl works in yours.`,
      };
    }
    return {
      kind: `own ${verb} ${resource}`,
      message: `In your namespace you may ${verb === 'list' || verb === 'get' || verb === 'watch' ? 'work with' : verb} most objects, but not ${resource}: the platform keeps it out of learners' reach. \`kubectl auth can-i --list\` shows everything you may do.`,
    };
  }
  const security = POD_SECURITY.exec(line);
  if (security) {
    return {
      kind: 'pod security',
      message: `Your namespace enforces the "${security[1]}" Pod Security Standard, which refuses pods that could reach the machine underneath (${security[2]?.trim()}). Remove those fields and the pod is admitted.`,
    };
  }
  const quota = QUOTA.exec(line);
  if (quota) {
    return {
      kind: `quota ${quota[1]}`,
      message: `Your namespace has a quota (${quota[1]}) so that one learner cannot take the cluster from the rest: this request (${quota[2]?.trim()}) would go over its limit (${quota[3]?.trim()}). \`kubectl describe quota\` shows what is used; delete something you no longer need.`,
    };
  }
  return undefined;
}

/** Reads a shell's output chunk by chunk (a line may arrive in pieces) and hands out each kind of explanation once. */
export class RefusalExplainer {
  readonly #namespace: string;
  readonly #told = new Set<string>();
  #partial = '';

  constructor(namespace: string) {
    this.#namespace = namespace;
  }

  /** The explanations the output completes, in the order their lines ended. */
  read(output: string): string[] {
    const lines = (this.#partial + output).split(/\r?\n/);
    // The last piece has no line end yet; a runaway line is not kept whole.
    this.#partial = (lines.pop() ?? '').slice(-2048);
    return lines.flatMap((line) => {
      const explained = explainRefusal(line, this.#namespace);
      if (!explained || this.#told.has(explained.kind)) return [];
      this.#told.add(explained.kind);
      return [explained.message];
    });
  }
}
