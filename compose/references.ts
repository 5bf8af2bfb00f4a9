/**
 * Checks between parts of a project: every service, network, volume, secret
 * and config that is used is declared, and depends_on has no cycle. Also
 * applies the two project-wide rules that need the whole picture: the
 * implicit `default` network and profiles (spec: Networks → default network,
 * Profiles).
 */
import type { Project, Service } from './model.js';
import { type Diagnostics, joinPath } from './problems.js';
import { parseLink } from './service.js';

/** Attaches services without networks to `default`, declaring it when used (spec: implicit default network). */
export function applyDefaultNetwork(project: Project): void {
  let used = false;
  for (const service of Object.values(project.services)) {
    if (service.network_mode !== undefined) continue;
    if (Object.keys(service.networks).length === 0) service.networks = { default: { aliases: [] } };
    if ('default' in service.networks) used = true;
  }
  if (used && !project.networks.default) {
    project.networks.default = {
      name: `${project.name}_default`,
      external: false,
      driver_opts: {},
      internal: false,
      attachable: false,
      labels: {},
    };
  }
}

function checkService(project: Project, service: Service, diag: Diagnostics): void {
  const path = joinPath('services', service.name);
  const linked = new Set(service.links.map((link) => parseLink(link)?.service));
  service.links.forEach((link, i) => {
    const target = parseLink(link)?.service;
    if (target !== undefined && !project.services[target])
      diag.error(joinPath(joinPath(path, 'links'), i), `links to undefined service "${target}"`);
  });
  for (const [dep, { required }] of Object.entries(service.depends_on)) {
    // A link's implied dependency is reported once, at the link.
    if (project.services[dep] || linked.has(dep)) continue;
    const depPath = joinPath(joinPath(path, 'depends_on'), dep);
    if (required) diag.error(depPath, `depends on undefined service "${dep}"`);
    else {
      // Spec (depends_on, `required: false`): "Compose only warns you"; the entry goes,
      // so no consumer meets a dependency on a service that is not there.
      diag.warn(depPath, `optional dependency on undefined service "${dep}" is ignored`);
      delete service.depends_on[dep];
    }
  }
  for (const name of Object.keys(service.networks)) {
    if (!project.networks[name]) {
      diag.error(
        joinPath(joinPath(path, 'networks'), name),
        `network "${name}" is used but not declared in the top-level networks`,
      );
    }
  }
  service.volumes.forEach((mount, i) => {
    if (mount.type === 'volume' && mount.source !== undefined && !project.volumes[mount.source]) {
      diag.error(
        joinPath(joinPath(path, 'volumes'), i),
        `volume "${mount.source}" is used but not declared in the top-level volumes`,
      );
    }
  });
  for (const kind of ['secrets', 'configs'] as const) {
    service[kind].forEach((ref, i) => {
      if (!project[kind][ref.source]) {
        diag.error(
          joinPath(joinPath(path, kind), i),
          `${kind.slice(0, -1)} "${ref.source}" is used but not declared in the top-level ${kind}`,
        );
      }
    });
  }
  for (const [key, name] of sharedWith(service)) {
    if (!project.services[name])
      diag.error(joinPath(path, key), `refers to undefined service "${name}"`);
  }
}

/** The `service:{name}` references of network_mode and ipc (spec: network_mode, ipc), and pid alike. */
function sharedWith(service: Service): [key: string, service: string][] {
  const out: [string, string][] = [];
  for (const key of ['network_mode', 'ipc', 'pid'] as const) {
    const value = service[key];
    if (value?.startsWith('service:')) out.push([key, value.slice('service:'.length)]);
  }
  return out;
}

function checkCycles(project: Project, diag: Diagnostics): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      diag.error(
        joinPath(joinPath('services', name), 'depends_on'),
        `dependency cycle: ${cycle.join(' → ')}`,
      );
      return;
    }
    state.set(name, 'visiting');
    for (const dep of Object.keys(project.services[name]?.depends_on ?? {})) {
      if (project.services[dep]) visit(dep, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const name of Object.keys(project.services)) visit(name, []);
}

/** Reports every dangling reference and dependency cycle. */
export function checkReferences(project: Project, diag: Diagnostics): void {
  for (const service of Object.values(project.services)) checkService(project, service, diag);
  checkCycles(project, diag);
}

/**
 * Keeps services with no profile or an active one; a kept service may not
 * depend on a dropped one, nor share its namespaces through `service:xxx`
 * (spec: Profiles, "Compose returns an error").
 */
export function applyProfiles(
  project: Project,
  active: readonly string[],
  diag: Diagnostics,
): void {
  const enabled = (s: Service) =>
    s.profiles.length === 0 || s.profiles.some((p) => active.includes(p) || active.includes('*'));
  const dropped = new Set(
    Object.values(project.services)
      .filter((s) => !enabled(s))
      .map((s) => s.name),
  );
  for (const name of dropped) delete project.services[name];
  for (const service of Object.values(project.services)) {
    const path = joinPath('services', service.name);
    for (const [dep, { required }] of Object.entries(service.depends_on)) {
      if (!dropped.has(dep)) continue;
      const depPath = joinPath(joinPath(path, 'depends_on'), dep);
      if (required) diag.error(depPath, `depends on "${dep}", whose profiles are not active`);
      else {
        diag.warn(
          depPath,
          `optional dependency on "${dep}" is ignored: its profiles are not active`,
        );
        delete service.depends_on[dep];
      }
    }
    for (const [key, name] of sharedWith(service)) {
      if (dropped.has(name))
        diag.error(joinPath(path, key), `refers to "${name}", whose profiles are not active`);
    }
  }
}
