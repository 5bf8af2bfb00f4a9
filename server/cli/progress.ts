/**
 * Shows a job's progress while `--wait` follows it. In a terminal: the
 * current step ("3/10 CreateContainer web"), a bar per layer of an image
 * pull or the last line of a build, redrawn in place, with finished steps
 * kept above. Elsewhere (a pipe, a CI log): one plain line per step and no
 * control characters, so the output reads the same in a file. An install
 * that is failing shows why (the reconciler's last error) under its step.
 */
import type { ProgressEvent, StatusEvent } from './api.js';
import { plain } from './output.js';

export interface ProgressDisplay {
  progress(event: ProgressEvent): void;
  status(event: StatusEvent): void;
  /** Removes what is redrawn in place; the display writes nothing after this. */
  stop(): void;
}

/** The output stream the display writes to, as much of it as the display needs. */
export interface DisplayStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

type StepEvent = Extract<ProgressEvent, { kind: 'step' }>;
type ImageEvent = Extract<ProgressEvent, { kind: 'image' }>;

/** "3/10 CreateContainer web", as the daemon names a job's step. */
export function stepText(event: StepEvent): string {
  const op = event.operation;
  const target = op.service ?? op.name;
  return plain(`${event.index}/${event.total} ${op.kind}${target ? ` ${target}` : ''}`);
}

/**
 * Why an install is not progressing: the reconciler's last error, from a `failed` status or
 * one whose reason says it is being retried ("degraded" with containers left); undefined
 * while it is fine.
 */
export function failingText(event: StatusEvent): string | undefined {
  const retrying = event.reason !== undefined && RETRYING.test(event.reason);
  if (event.state !== 'failed' && !retrying) return undefined;
  return plain(event.reason ?? 'failed, no reason given');
}

const RETRYING = / \(retrying( in \d+ s)?\)$/;

/** The same error retried says "(retrying in 8 s)", then "(retrying in 16 s)": one line, not many. */
function withoutRetry(text: string): string {
  return text.replace(RETRYING, '');
}

/** A display for `stream`: redrawn in place on a terminal, plain lines otherwise. */
export function createProgress(stream: DisplayStream, title: string): ProgressDisplay {
  return stream.isTTY ? new TerminalProgress(stream, title) : new PlainProgress(stream);
}

class PlainProgress implements ProgressDisplay {
  /** The error last shown, without its retry delay, so each retry does not print it again. */
  private shownError: string | undefined;
  /** The step a retry would print again ("PullImage app"), while an error is shown. */
  private retriedStep: string | undefined;
  private lastStep: string | undefined;

  constructor(private readonly stream: DisplayStream) {}

  progress(event: ProgressEvent): void {
    if (event.kind !== 'step') return;
    const op = `${event.operation.kind} ${event.operation.service ?? event.operation.name ?? ''}`;
    if (event.phase === 'done') {
      this.retriedStep = undefined;
      return;
    }
    this.lastStep = op;
    if (op !== this.retriedStep) this.stream.write(`${stepText(event)}\n`);
  }

  status(event: StatusEvent): void {
    const text = failingText(event);
    if (text === undefined) return;
    this.retriedStep = this.lastStep;
    const key = withoutRetry(text);
    if (key !== this.shownError) this.stream.write(`  not progressing: ${text}\n`);
    this.shownError = key;
  }

  stop(): void {}
}

interface Layer {
  status: string;
  current?: number;
  total?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const MAX_LAYERS = 10;
const BAR = 20;

export class TerminalProgress implements ProgressDisplay {
  private step: StepEvent | undefined;
  private state: string | undefined;
  private failing: string | undefined;
  private layers = new Map<string, Layer>();
  private pullStatus: string | undefined;
  private buildLine: string | undefined;
  /** Lines to print once, above the live region (finished steps). */
  private pending: string[] = [];
  private drawn = 0;
  private frame = 0;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly stream: DisplayStream,
    private readonly title: string,
  ) {
    this.stream.write('\x1b[?25l');
    this.timer = setInterval(() => {
      this.frame += 1;
      this.draw();
    }, 100);
    this.timer.unref();
    this.draw();
  }

  progress(event: ProgressEvent): void {
    // Steps are few and worth showing at once; image progress comes in bursts and waits for the timer.
    if (event.kind === 'step') {
      this.onStep(event);
      this.draw();
    } else this.onImage(event);
  }

  status(event: StatusEvent): void {
    this.state = plain(event.state);
    this.failing = failingText(event);
  }

  stop(): void {
    if (this.stopped) return;
    clearInterval(this.timer);
    this.draw(true);
    this.stopped = true;
    this.stream.write('\x1b[?25h');
  }

  private onStep(event: StepEvent): void {
    // Layers and build output belong to the step that pulls or builds.
    this.layers.clear();
    this.pullStatus = undefined;
    this.buildLine = undefined;
    if (event.phase === 'start') {
      this.step = event;
      return;
    }
    this.pending.push(`  ✓ ${stepText(event)}`);
    if (this.step?.index === event.index) this.step = undefined;
  }

  private onImage(event: ImageEvent): void {
    const p = event.progress;
    if (p.kind === 'build') {
      const line = plain(p.line).trim();
      if (line) this.buildLine = line;
      return;
    }
    if (!p.layer) {
      this.pullStatus = plain(p.status);
      return;
    }
    this.layers.set(plain(p.layer), {
      status: plain(p.status),
      current: p.current,
      total: p.total,
    });
  }

  /** The live region, top to bottom. */
  lines(): string[] {
    const spinner = SPINNER[this.frame % SPINNER.length];
    const step = this.step ? ` · ${stepText(this.step)}` : '';
    const state = this.state ? ` (${this.state})` : '';
    const lines = [`${spinner} ${this.title}${step}${state}`];
    if (this.failing) lines.push(`    ! ${this.failing}`);
    if (this.pullStatus) lines.push(`    ${this.pullStatus}`);
    const layers = [...this.layers.entries()];
    for (const [id, layer] of layers.slice(-MAX_LAYERS))
      lines.push(`    ${id.slice(0, 12).padEnd(12)}  ${layerText(layer)}`);
    if (layers.length > MAX_LAYERS)
      lines.push(`    … and ${layers.length - MAX_LAYERS} more layers`);
    if (this.buildLine) lines.push(`    ${this.buildLine}`);
    return lines;
  }

  /** Moves up over the last drawing, clears it, prints new permanent lines and the live region. */
  private draw(final = false): void {
    if (this.stopped) return;
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A\r\x1b[J` : '';
    for (const line of this.pending) text += `${fit(line, width)}\n`;
    this.pending = [];
    const live = final ? [] : this.lines().map((line) => fit(line, width));
    for (const line of live) text += `${line}\n`;
    this.drawn = live.length;
    this.stream.write(text);
  }
}

/** "Downloading [=====>    ] 1.2 MB/3.4 MB", or the status alone when sizes are unknown. */
function layerText(layer: Layer): string {
  if (layer.current === undefined || !layer.total) return layer.status;
  const ratio = Math.min(1, layer.current / layer.total);
  const done = Math.floor(ratio * BAR);
  const bar = `${'='.repeat(done)}${done < BAR ? '>' : ''}`.padEnd(BAR);
  return `${layer.status.padEnd(12)} [${bar}] ${bytes(layer.current)}/${bytes(layer.total)}`;
}

/** A byte count as people read it: 512 B, 1.2 MB. */
export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Cuts a line to the terminal's width, so redrawing never meets a wrapped line. */
function fit(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, width - 1).join('')}…`;
}
