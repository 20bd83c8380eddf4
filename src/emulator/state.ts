/**
 * Everything one running emulator holds: the generation it plays, its data (replaceable by a
 * reset to the seed), the data file that follows it, faults, counters and the credentials it
 * accepts.
 */
import type { AcceptedCredentials } from "./auth.js";
import { Counters, Faults } from "./faults.js";
import type { DataFile } from "./persist.js";
import type { OnlineService } from "./online.js";
import type { Profile } from "./profile.js";
import type { SeedFlowInput, Store } from "./store.js";

export class EmulatorState {
  readonly counters = new Counters();
  /** The base URL, known once the server listens. */
  url = "";
  /** Online mode (online.ts): sign-in, state API, the tenant on its own host. */
  online: OnlineService | undefined;
  private current: Store;
  private dataFile: DataFile | undefined;

  constructor(
    readonly profile: Profile,
    private readonly seed: readonly SeedFlowInput[],
    store: Store,
    readonly faults: Faults,
    /** Replaced by the admin route (credentials revoked or changed while a client runs). */
    public credentials: AcceptedCredentials,
    readonly maxBodyBytes: number,
  ) {
    this.current = store;
  }

  get store(): Store {
    return this.current;
  }

  /** Every change of the data is written to `file` from now on. */
  attachDataFile(file: DataFile): void {
    this.dataFile = file;
    this.current.onChange = () => file.schedule();
  }

  /** Back to the seed (flows, no options beyond the seed's, counters for ids restarted). */
  reset(): void {
    this.current = this.profile.freshStore(this.seed);
    if (this.dataFile) {
      const file = this.dataFile;
      this.current.onChange = () => file.schedule();
      file.schedule();
    }
  }
}
