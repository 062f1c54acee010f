import { CnlabError } from '../../errors.ts';

/**
 * k8s.io/kubernetes points its staging modules (k8s.io/api, client-go, ...) at folders inside
 * its own repository. Those replace directives are ignored when it is used as a dependency, so
 * a module that builds it must point each of them at the release published as v0.<minor>.<patch>.
 * The list is read from the downloaded go.mod, so a new release's new staging module is never missed.
 */
export function kubernetesWrapperGoMod(upstreamGoMod: string, version: string): string {
  const stagingVersion = version.replace(/^v1\./, 'v0.');
  const staging = [...upstreamGoMod.matchAll(/^\s*(k8s\.io\/\S+)\s+=>\s+\.\/staging\/src\/\1\s*$/gm)].map(
    (match) => match[1] as string,
  );
  if (staging.length === 0) {
    throw new CnlabError(`k8s.io/kubernetes ${version}: its go.mod lists no staging modules to replace`);
  }
  const directive = (name: string) => upstreamGoMod.match(new RegExp(`^${name} .+$`, 'm'))?.[0];
  return [
    'module cnlab.local/kubernetes-build',
    '',
    directive('go') ?? 'go 1.26',
    directive('godebug') ?? '',
    '',
    `require k8s.io/kubernetes ${version}`,
    '',
    'replace (',
    ...staging.map((module) => `\t${module} => ${module} ${stagingVersion}`),
    ')',
    '',
  ].join('\n');
}
