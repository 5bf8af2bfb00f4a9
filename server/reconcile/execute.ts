/**
 * execute(plan): carries the operations out in order, one Docker API call
 * each, and reports progress. It makes no decisions (STYLE: the executor
 * "carries no decision logic"); the one kind of operation that polls is a
 * wait for a dependency's condition, which has a time limit.
 */
import { ConflictError, type DockerAdapter, type ImageProgress } from '../docker/adapter.js';
import type { Operation } from './types.js';

export type ExecutionEvent =
  | { kind: 'step'; index: number; total: number; operation: Operation; phase: 'start' | 'done' }
  | { kind: 'image'; service: string; progress: ImageProgress };

export interface ExecuteContext {
  docker: DockerAdapter;
  report?: (event: ExecutionEvent) => void;
  /** Time limit of a dependency wait (default 120 s). */
  waitTimeoutMs?: number;
  /** Interval between inspects of a dependency (default 100 ms; 250 cost ~12% of a trio install). */
  pollMs?: number;
}

/** A dependency did not reach its condition; the message says why, for the person waiting. */
export class DependencyError extends Error {
  override name = 'DependencyError';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(
  op: Extract<Operation, { kind: 'WaitForDependency' }>,
  ctx: ExecuteContext,
): Promise<void> {
  const deadline = Date.now() + (ctx.waitTimeoutMs ?? 120_000);
  const what = `"${op.service}" depends on "${op.dependency}"`;
  for (;;) {
    const details = await ctx.docker.inspectContainer(op.container);
    if (!details)
      throw new DependencyError(`${what}, whose container ${op.container} does not exist`);
    const { state } = details;
    if (op.condition === 'service_completed_successfully') {
      if (!state.running && state.status === 'exited') {
        if (state.exitCode === 0) return;
        throw new DependencyError(`${what}, which exited with code ${state.exitCode}`);
      }
    } else {
      if (!state.health)
        throw new DependencyError(`${what} being healthy, but it has no health check`);
      if (state.health.status === 'healthy') return;
      if (state.health.status === 'unhealthy') {
        const output = state.health.lastOutput?.trim();
        throw new DependencyError(`${what}, which is unhealthy${output ? `: ${output}` : ''}`);
      }
      if (!state.running && state.status !== 'restarting') {
        throw new DependencyError(`${what}, which is not running (exit code ${state.exitCode})`);
      }
    }
    if (Date.now() > deadline) {
      const goal = op.condition === 'service_healthy' ? 'become healthy' : 'complete';
      throw new DependencyError(
        `${what}, which did not ${goal} within ${Math.round((ctx.waitTimeoutMs ?? 120_000) / 1000)} s`,
      );
    }
    await sleep(ctx.pollMs ?? 100);
  }
}

/** The one API call (or wait) of an operation. */
async function perform(op: Operation, ctx: ExecuteContext): Promise<void> {
  const { docker } = ctx;
  switch (op.kind) {
    case 'CreateNetwork':
      return docker.createNetwork(op.body);
    case 'CreateVolume':
      return docker.createVolume(op.body);
    case 'PullImage':
      return docker.pullImage(op.image, (progress) =>
        ctx.report?.({ kind: 'image', service: op.service, progress }),
      );
    case 'BuildImage':
      return docker.buildImage(op.options, (progress) =>
        ctx.report?.({ kind: 'image', service: op.service, progress }),
      );
    case 'CreateContainer':
      await docker.createContainer(op.name, op.body);
      return;
    case 'ConnectNetwork':
      return docker.connectNetwork(op.network, op.body);
    case 'CopyFiles':
      return docker.putFiles(op.container, op.files);
    case 'WaitForDependency':
      return waitFor(op, ctx);
    case 'StartContainer':
      return docker.startContainer(op.container);
    case 'StopContainer':
      return docker.stopContainer(op.container, op.timeout);
    case 'RestartContainer':
      return docker.restartContainer(op.container, op.timeout);
    case 'RemoveContainer':
      return docker.removeContainer(op.container);
    case 'RenameContainer':
      return docker.renameContainer(op.container, op.newName);
    case 'RemoveNetwork':
      return docker.removeNetwork(op.name);
    case 'RemoveVolume':
      return docker.removeVolume(op.name);
    case 'RemoveImage':
      try {
        return await docker.removeImage(op.image);
      } catch (error) {
        // A container took it up since it was observed: it stays, and the next plan sees why.
        if (error instanceof ConflictError) return;
        throw error;
      }
  }
}

/** Runs the plan in order; the first failure stops it (the next reconcile re-plans from scratch). */
export async function execute(plan: Operation[], ctx: ExecuteContext): Promise<void> {
  for (const [i, operation] of plan.entries()) {
    ctx.report?.({ kind: 'step', index: i + 1, total: plan.length, operation, phase: 'start' });
    await perform(operation, ctx);
    ctx.report?.({ kind: 'step', index: i + 1, total: plan.length, operation, phase: 'done' });
  }
}
