import { PactV4 } from '@pact-foundation/pact';
import { copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { addEventInteraction } from '../../harness/contracts/pact/event-interaction';
import { eventMessageContract, eventMessageMetadata } from '../../harness/contracts/pact/event-message';
import { eventInteractionName } from '../../harness/contracts/pact/message-provider-target';
import { normalizePact } from '../../harness/contracts/pact/normalize-pact';
import { shopCatalog } from '../../reference-services/events/catalog';
import { MemoryStore } from '../../reference-services/kit/memory-store';
import { manualClock, seededIds } from '../../reference-services/kit/determinism';
import { consumedBy, serviceNames } from '../../reference-services/services';
import { createShopProcessors } from '../../reference-services/shop-processors';
import { edgesByPact, shopConsumerEdges } from './shop/shop-consumer-edges';
import { repoRoot, tempPactDir } from './support/pact-fixtures';

/**
 * Consumer pacts of the shop: for every (consumer, event it consumes) a PactV4 asynchronous interaction whose
 * handler is the consumer's REAL processor (decode → inbox → handler → outbox over a MemoryStore).
 * Regenerated into a temporary directory and compared with the committed `pacts/`; `UPDATE_PACTS=1` rewrites them.
 */

const committedDir = path.join(repoRoot, 'pacts');
const generated = tempPactDir('shop-consumers');
afterAll(() => generated.dispose());

describe('shop consumer pacts (PactV4 asynchronous interactions, real consumer code)', () => {
  it('covers every event every service consumes', () => {
    const covered = new Set(shopConsumerEdges.map((edge) => `${edge.consumer} ← ${edge.event.type}`));
    const missing = serviceNames.flatMap((service) =>
      consumedBy[service].map((type) => `${service} ← ${type}`).filter((edge) => !covered.has(edge)),
    );
    expect(missing).toEqual([]);
  });

  describe.each([...edgesByPact().entries()])('%s', (_file, edges) => {
    it.each(edges.map((edge) => [eventInteractionName(edge.event.type, edge.what), edge] as const))(
      '%s',
      async (description, edge) => {
        const pact = new PactV4({
          consumer: edge.consumer,
          provider: edge.provider,
          dir: generated.dir,
          logLevel: 'error',
        });
        const contract = eventMessageContract(edge.event, {
          ...(edge.payload !== undefined ? { payload: edge.payload } : {}),
          ...(edge.exact ? { exact: edge.exact } : {}),
        });
        await addEventInteraction(pact, {
          description,
          states: edge.states,
          contract,
          metadata: eventMessageMetadata(edge.event),
        }).executeTest(async (message) => {
          const clock = manualClock(Date.UTC(2026, 0, 1, 12));
          const shop = createShopProcessors({
            store: new MemoryStore({ clock: clock.now }),
            clock: clock.now,
            ids: seededIds(3),
          });
          const body = JSON.stringify(message.contents.content);
          const decoded = shopCatalog.decodeOrThrow(body);
          await edge.arrange?.(shop, decoded);
          const outcome = await shop.processors[edge.consumer].process({ body });
          await edge.check(outcome, shop, decoded);
        });
      },
    );
  });

  it('regenerated pacts equal the committed ones in pacts/ (UPDATE_PACTS=1 to accept a change)', () => {
    const files = readdirSync(generated.dir)
      .filter((file) => file.endsWith('.json'))
      .sort();
    expect(files).toEqual([...edgesByPact().keys()].sort());
    const drift: string[] = [];
    for (const file of files) {
      const fresh = readFileSync(path.join(generated.dir, file), 'utf8');
      const committed = path.join(committedDir, file);
      if (process.env['UPDATE_PACTS'] === '1') {
        copyFileSync(path.join(generated.dir, file), committed);
        continue;
      }
      if (!existsSync(committed)) {
        drift.push(`${file}: not committed`);
        continue;
      }
      const same =
        JSON.stringify(normalizePact(JSON.parse(fresh))) ===
        JSON.stringify(normalizePact(JSON.parse(readFileSync(committed, 'utf8'))));
      if (!same) drift.push(`${file}: differs from the committed pact`);
    }
    expect(drift).toEqual([]);
  });
});
