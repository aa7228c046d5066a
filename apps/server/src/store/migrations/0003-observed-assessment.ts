import type { Kysely, Migration } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * The assessment of an observed address, kept with it (docs/architecture/review.md#the-assessment):
 * score, verdict, factors with their weights and evidence, and the date of the network data used.
 * Null for rows recorded before it existed and for addresses that were never assessed.
 *
 * @example
 * await observedAssessmentMigration('sqlite').up(db);
 */
export function observedAssessmentMigration(dialect: DialectName): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('observed_ips').addColumn('assessment', columnTypes(dialect).json).execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('observed_ips').dropColumn('assessment').execute();
    },
  };
}
