/**
 * What a dialog shows before anything changes (an update's changes, an adoption's objects):
 * read afresh from the API each time the dialog opens, with the error in words when it fails.
 * Call it while a component initialises; `value` is undefined while loading.
 */
import { api } from './api.ts';
import { errorText } from './errors.ts';

export interface Preview<T> {
  readonly value: T | undefined;
  readonly error: string | undefined;
}

export function previewWhenOpen<T>(open: () => boolean, path: () => string): Preview<T> {
  const state = $state<{ value?: T; error?: string }>({});
  $effect(() => {
    if (!open()) return;
    state.value = undefined;
    state.error = undefined;
    api
      .get<T>(path())
      .then((value) => {
        state.value = value;
      })
      .catch((error) => {
        state.error = errorText(error);
      });
  });
  return {
    get value() {
      return state.value;
    },
    get error() {
      return state.error;
    },
  };
}
