// What a failed wait in a UI test adds to its message: the daemon's side of the story (each
// install's state and reason, its recent jobs, the engine's containers, the daemon's last lines),
// so a failure in CI says why without a rerun. The daemon a file started registers it.

type Explainer = () => Promise<string>;

let current: Explainer | undefined;

/** Registers how to explain the daemon under test (startUiDaemon does); undefined forgets it. */
export function explainFailuresWith(explainer: Explainer | undefined): void {
  current = explainer;
}

/** The registered explanation, or '' when none is registered or it cannot be had in 10 s. */
export async function failureContext(): Promise<string> {
  if (!current) return '';
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('(the daemon did not explain itself within 10 s)'), 10_000);
  });
  try {
    return await Promise.race([current().catch((error) => `(no explanation: ${error})`), late]);
  } finally {
    clearTimeout(timer);
  }
}
