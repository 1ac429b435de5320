import type { Logger } from 'pino';
import type { Sql } from '../../db/connect.js';
import type { Database } from '../../db/database.js';
import type { ChangeWatch } from '../../data-plane/sync/serving-source.js';
import { CHANGES_CHANNEL } from '../changes/service.js';

/**
 * LISTENs for committed changes on the primary (NOTIFY is not replicated to standbys), following
 * the primary when it moves. A node that cannot reach the primary simply hears nothing and keeps
 * polling; so does one whose LISTEN failed, until the next renew.
 */
export class PrimaryChangeWatch implements ChangeWatch {
  #listeningOn: Sql | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #renewing = false;
  #closed = false;

  constructor(
    private readonly db: Database,
    private readonly onChange: (counter: number) => void,
    private readonly logger: Logger | undefined,
  ) {
    this.renew();
  }

  renew(): void {
    const pool = this.db.writerIfAny;
    if (this.#closed || this.#renewing || !pool || pool === this.#listeningOn) return;
    this.#renewing = true;
    void this.#listen(pool).finally(() => {
      this.#renewing = false;
    });
  }

  async #listen(pool: Sql): Promise<void> {
    await this.#unlisten?.().catch(() => undefined);
    this.#unlisten = undefined;
    this.#listeningOn = undefined;
    try {
      const listener = await pool.listen(CHANGES_CHANNEL, (payload) => {
        const counter = Number(payload);
        if (Number.isSafeInteger(counter)) this.onChange(counter);
      });
      if (this.#closed) return void (await listener.unlisten().catch(() => undefined));
      this.#listeningOn = pool;
      this.#unlisten = () => listener.unlisten();
    } catch (error) {
      this.logger?.debug({ err: error }, 'change notifications: LISTEN on the primary failed; polling until it works');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#unlisten?.().catch(() => undefined);
    this.#unlisten = undefined;
  }
}
