/**
 * One's own credentials of a kind — API tokens (Settings), app passwords (My account) — as
 * reactive state: the list read from the API, one made from a name and the member's current
 * password (a credential outlives the session, so the daemon asks for it again) and its value
 * shown once, right after (the daemon keeps only a hash) until one is revoked, and one revoked
 * after a confirmation.
 * A component keeps its own words and markup and binds its form and dialog to this.
 */
import { ApiError, api, seg } from './api.ts';
import { errorText } from './errors.ts';
import { t } from './i18n.ts';

/** What a kind of credential is to the API. */
export interface CredentialKind<Item, Made, Reply> {
  /** The list's path under /api; one is revoked with DELETE `path/:id`. */
  path: string;
  /** The items of the list's reply. */
  itemsOf: (reply: Reply) => Item[];
  /** Makes one named `name`, confirmed by `password`; resolves to what is shown of it once. */
  make: (name: string, password: string) => Promise<Made>;
}

/** The list of one's credentials of a kind, read as soon as it is made. */
export class CredentialList<Item extends { id: number }, Made, Reply> {
  list: Item[] = $state.raw([]);
  /** False until the list's first reply (or failure) arrived. */
  loaded = $state(false);
  /** The name the next one is made with (an app password's label), bound to the form. */
  name = $state('');
  /** The member's current password, bound to the form; emptied after every attempt. */
  password = $state('');
  /** The one just made, its value shown this once. */
  made = $state<Made>();
  /** A make or revoke is on its way. */
  pending = $state(false);
  /** The last failure, in words. */
  error = $state<string>();
  /** The one the open confirmation would revoke. */
  revoking = $state<Item>();
  confirmOpen = $state(false);

  readonly #kind: CredentialKind<Item, Made, Reply>;

  constructor(kind: CredentialKind<Item, Made, Reply>) {
    this.#kind = kind;
    void this.load();
  }

  /** Reads the list again. */
  async load(): Promise<void> {
    try {
      this.list = this.#kind.itemsOf(await api.get<Reply>(this.#kind.path));
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.loaded = true;
    }
  }

  /**
   * Makes one with `name` and `password` (the form's submit, kept from reloading the page), then
   * reads the list. The password is emptied whatever the answer: it is not kept in the page.
   */
  async create(event?: SubmitEvent): Promise<void> {
    event?.preventDefault();
    this.pending = true;
    this.error = undefined;
    this.made = undefined;
    const password = this.password;
    this.password = '';
    try {
      this.made = await this.#kind.make(this.name.trim(), password);
      this.name = '';
      await this.load();
    } catch (e) {
      // Said with what it means here: nothing was made, and the name typed is kept.
      const wrong = e instanceof ApiError && e.code === 'FOYER_WRONG_PASSWORD';
      this.error = wrong ? t('credentials.passwordWrong') : errorText(e);
    } finally {
      this.pending = false;
    }
  }

  /** Opens the confirmation to revoke `item`. */
  askRevoke(item: Item): void {
    this.revoking = item;
    this.confirmOpen = true;
  }

  /** Revokes the one the confirmation names, closes it, then reads the list. */
  async revoke(): Promise<void> {
    if (!this.revoking) return;
    this.pending = true;
    this.error = undefined;
    try {
      await api.delete(`${this.#kind.path}/${seg(this.revoking.id)}`);
      this.confirmOpen = false;
      // The value shown once may be the one just revoked: it is not left on screen as if it worked.
      this.made = undefined;
      await this.load();
    } catch (e) {
      this.error = errorText(e);
      this.confirmOpen = false;
    } finally {
      this.pending = false;
    }
  }
}
