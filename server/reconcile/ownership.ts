/**
 * Who owns an engine object whose name an install needs (issue 12 §2), and
 * what to tell the person. Foyer acts only on objects carrying its own
 * instance label; a name held by anything else — another Foyer (a second one
 * on this engine, or one lost with its SD card), a Compose project, or
 * something unlabelled — cannot be fixed by retrying, so it is a terminal
 * error that names the object, its owner and the way out.
 */
import type { EngineObject } from '../docker/adapter.js';

/** Whose an object is, read from its labels. */
export type Owner =
  | { kind: 'this-foyer' }
  | { kind: 'other-foyer'; instance?: string; install?: string; app?: string }
  | { kind: 'compose'; project: string }
  | { kind: 'unlabelled' };

/** The owner of an object with these labels, from the point of view of `instance`. */
export function ownerOf(labels: Record<string, string>, instance: string | undefined): Owner {
  const theirs = labels['foyer.instance'];
  if (labels['foyer.managed'] === 'true') {
    // Without an instance of our own (tests of the reconciler alone), every Foyer object is ours.
    if (instance === undefined || theirs === instance) return { kind: 'this-foyer' };
    return {
      kind: 'other-foyer',
      ...(theirs ? { instance: theirs } : {}),
      ...(labels['foyer.install'] ? { install: labels['foyer.install'] } : {}),
      ...(labels['foyer.app'] ? { app: labels['foyer.app'] } : {}),
    };
  }
  const project = labels['com.docker.compose.project'];
  if (project) return { kind: 'compose', project };
  return { kind: 'unlabelled' };
}

/** The terminal error for an install that cannot have `object`'s name, or undefined if it is ours. */
export function conflictMessage(
  object: EngineObject,
  owner: Owner,
  install: string,
): string | undefined {
  const what = `${object.kind} "${object.name}" already exists`;
  switch (owner.kind) {
    case 'this-foyer':
      return undefined;
    case 'other-foyer': {
      const labels = [
        owner.instance ? `foyer.instance=${owner.instance}` : 'no foyer.instance label',
        ...(owner.install ? [`foyer.install=${owner.install}`] : []),
        ...(owner.app ? [`foyer.app=${owner.app}`] : []),
      ].join(', ');
      return (
        `${what} and belongs to another Foyer (${labels}). If that Foyer is gone for good (a ` +
        `dead disk, a reinstall), take its objects and data over with: foyer adopt ${install}. ` +
        'If it still runs, uninstall the app there, or install this one under another id (--id)'
      );
    }
    case 'compose':
      return (
        `${what} and belongs to the Compose project "${owner.project}", not to Foyer. Stop it ` +
        `(docker compose -p ${owner.project} down), or install under another id (--id); ` +
        `foyer adopt ${install} --force ${object.name} takes it over`
      );
    case 'unlabelled':
      return (
        `${what} and is not Foyer's (it has no Foyer or Compose labels). Rename or remove it, ` +
        `or install under another id (--id); foyer adopt ${install} --force ${object.name} ` +
        'takes it over'
      );
  }
}
