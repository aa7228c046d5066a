/**
 * `…/entries/import` and `…/entries/export` of a network list (a tenant's IP list, an API's
 * allowlist): many entries as one change, and the list as a file that imports back to itself
 * (docs/architecture/management.md#importing-a-list).
 */
import { type IpGateError, isIpGateError } from '@ipgate/core';
import { Type } from 'typebox';
import { listBasis } from '../../store/import-plan.js';
import { importOverLimit, listChanged } from '../../store/ip-list-import.js';
import type { ImportEntriesResult, IpListEntry } from '../../store/store.js';
import { answerDryRun } from '../lists/dry-run.js';
import { exportList } from '../lists/export-list.js';
import { analyzeImport, importDraft, invalidLines, previewOf } from '../lists/import-preview.js';
import { guardLockout } from '../lists/lockout-guard.js';
import { errorResponses } from '../schemas/common.js';
import {
  ExportedList,
  ExportQuery,
  ImportEntriesBody,
  ImportPreview,
  ImportResult,
} from '../schemas/entry-import.js';
import { DryRun } from '../schemas/simulation.js';
import { type AdminApp, type AdminDeps, callerAddress, creation } from './context.js';
import type { IpListBinding } from './ip-list-entries.js';

/** Tries an import made without a basis this often when the list moves under it. */
const ATTEMPTS = 3;

/**
 * Registers import and export for one kind of list.
 *
 * @example
 * registerIpListImportRoutes(app, deps, binding); // from registerIpListRoutes
 */
export function registerIpListImportRoutes(
  app: AdminApp,
  { engine, simulator }: AdminDeps,
  list: IpListBinding,
): void {
  const tags = [list.tag];
  const config = (role: 'viewer' | 'editor') => ({ access: { role, scope: list.scope } });
  const owner = (params: unknown) => (params as Record<string, string>)[list.ownerParam] as string;
  // "the tenant's IP list" → "tenant's IP list", for messages that say "the" themselves.
  const listNoun = list.noun.replace(/^the /, '');

  app.post(
    `${list.path}/import`,
    {
      config: config('editor'),
      schema: {
        summary: `Import entries into ${list.noun}`,
        description:
          "Up to 1,000 entries from a text or CSV file, as ONE change: one transaction, one audit event with the counts, one change version that every node applies at once. Lines match entries by canonical form: a matched entry takes what the line gives (value as written, name; in CSV also expiresAt and enabled when the file has those columns), other lines are added; mode replace also removes the entries the file does not name. All or nothing: a bad line (400 IPG_IMPORT_INVALID, IPG_IMPORT_DUPLICATE), more than 1,000 entries (400 IPG_IMPORT_TOO_LARGE), going over the list's limit (409 IPG_LIMIT_REACHED) or denying your own address (409 IPG_SELF_LOCKOUT, unless confirmLockout) writes nothing. preview: true writes nothing and answers every line; dryRun: true answers the impact on the last 24 hours of traffic (both: the preview with the impact). With basis (from a preview or an export) the import applies only if the list has not changed since (412 IPG_VERSION_CONFLICT).",
        tags,
        params: list.params,
        body: ImportEntriesBody,
        response: {
          200: Type.Union([ImportResult, ImportPreview, DryRun], {
            description:
              'Imported (preview: false, the counts and the change version); or, with preview: true, the preview; or, with dryRun: true alone, the impact.',
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const id = owner(request.params);
      const { content, basis, confirmLockout, dryRun } = request.body;
      const format = request.body.format ?? 'text';
      const mode = request.body.mode ?? 'merge';
      const limit = await list.limit(id);
      for (let attempt = 1; ; attempt++) {
        const current = await list.list(id);
        const analysis = analyzeImport(current, format, content, mode);
        const { file, plan } = analysis;
        const problems: IpGateError[] = [];
        const invalid = invalidLines(file);
        if (invalid !== undefined) problems.push(invalid);
        if (limit !== undefined && plan.count > limit && plan.count > current.length) {
          problems.push(importOverLimit(listNoun, limit, plan.count));
        }
        try {
          guardLockout(
            callerAddress(request),
            await list.guardState(id, current),
            await list.guardState(id, analysis.after),
            confirmLockout,
          );
        } catch (e) {
          if (!isIpGateError(e)) throw e;
          problems.push(e);
        }
        if (request.body.preview === true) {
          const preview = previewOf(analysis, format, limit, problems);
          if (dryRun !== true) return preview;
          const impact = await answerDryRun(reply, simulator, list.simulationTarget(id), importDraft(plan));
          return { ...preview, impact: impact.impact };
        }
        if (dryRun === true) {
          if (invalid !== undefined) throw invalid;
          return answerDryRun(reply, simulator, list.simulationTarget(id), importDraft(plan));
        }
        if (problems[0] !== undefined) throw problems[0];
        if (basis !== undefined && basis !== analysis.basis) throw listChanged(listNoun);
        let result: ImportEntriesResult<IpListEntry>;
        try {
          result = await list.importEntries(
            id,
            { mode, rows: file.rows },
            { ...creation(request), expectedBasis: analysis.basis },
          );
        } catch (e) {
          // Someone changed the list between the read the checks saw and the transaction: judge the
          // file again against the list as it is now — unless the caller named a basis of their own.
          if (
            isIpGateError(e) &&
            e.code === 'IPG_VERSION_CONFLICT' &&
            basis === undefined &&
            attempt < ATTEMPTS
          )
            continue;
          throw e;
        }
        if (result.changeVersion !== null) await engine.refresh();
        return {
          preview: false as const,
          mode,
          format,
          summary: {
            add: result.added.length,
            update: result.updated,
            unchanged: result.unchanged,
            remove: result.removed,
          },
          count: result.count,
          changeVersion: result.changeVersion,
          basis: result.basis,
        };
      }
    },
  );

  app.get(
    `${list.path}/export`,
    {
      config: config('viewer'),
      schema: {
        summary: `Export ${list.noun}`,
        description:
          'The list as a file in address order. CSV (value,name,expiresAt,enabled) holds everything an import writes; text holds value and name (a name the text format cannot hold is 409 IPG_EXPORT_TEXT_UNSAFE: export CSV). Importing the content with mode replace into any list makes that list export the very same bytes. basis: give it back on the import to apply it only if nobody changed the list since.',
        tags,
        params: list.params,
        querystring: ExportQuery,
        response: { 200: ExportedList, ...errorResponses },
      },
    },
    async (request) => {
      const format = request.query.format ?? 'text';
      const entries = await list.list(owner(request.params));
      return {
        format,
        count: entries.length,
        content: exportList(entries, format),
        basis: listBasis(entries),
      };
    },
  );
}
