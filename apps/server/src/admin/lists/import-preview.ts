/**
 * What an import would do, line by line, worked out from the list as it is and the file: the basis of
 * both the preview answer and the checks an applied import passes first (bad lines, the limit, the
 * lockout guard), so that a preview with no problems is an import that applies — unless the list
 * changes in between, which the basis catches.
 */
import { IpGateError } from '@ipgate/core';
import type { ListDraft } from '../../simulation/draft.js';
import { type ImportMode, type ImportPlan, listBasis, planImport } from '../../store/import-plan.js';
import type { IpListEntry } from '../../store/store.js';
import { defined } from '../routes/context.js';
import type { WarningType } from '../schemas/common.js';
import type { ImportPreviewDto } from '../schemas/entry-import.js';
import { toIpEntryDto } from '../schemas/ip-entries.js';
import { listWarnings } from './entry-warnings.js';
import { type FileRow, type ImportFile, type ListFormat, readImportFile } from './import-file.js';
import type { GuardEntry } from './lockout-guard.js';

/** An entry of the list the import would leave; `id` is `line:N` for one it adds. */
export interface AfterEntry extends GuardEntry {
  readonly name: string;
}

/** The file read against the list, and the plan. */
export interface ImportAnalysis<E extends IpListEntry> {
  readonly file: ImportFile;
  readonly plan: ImportPlan<E>;
  /** The list as the import would leave it, in the order the list would hold it. */
  readonly after: readonly AfterEntry[];
  /** The list's basis as it was read. */
  readonly basis: string;
}

/**
 * Reads `content` against `current` and plans the import of its good lines.
 *
 * @example
 * const a = analyzeImport(entries, 'text', '10.0.0.0/8 vpn\n', 'merge');
 * a.plan.add.length; // 1 when 10.0.0.0/8 is not listed
 */
export function analyzeImport<E extends IpListEntry>(
  current: readonly E[],
  format: ListFormat,
  content: string,
  mode: ImportMode,
): ImportAnalysis<E> {
  const byCanonical = new Map(current.map((e) => [e.canonical, e]));
  const file = readImportFile(format, content, {
    keepsExpiry: (canonical, at) => byCanonical.get(canonical)?.expiresAt?.getTime() === at.getTime(),
  });
  const plan = planImport(current, file.rows, mode);
  const removed = new Set(plan.remove.map((e) => e.id));
  const patches = new Map(plan.update.map((u) => [u.before.id, u.patch]));
  const after: AfterEntry[] = [];
  for (const e of current) {
    if (removed.has(e.id)) continue;
    const patch = patches.get(e.id);
    after.push({
      id: e.id,
      name: patch?.name ?? e.name,
      // A line matches its entry by canonical form, so an update never changes it.
      canonical: e.canonical,
      enabled: patch?.enabled ?? e.enabled,
      expiresAt: patch?.expiresAt === undefined ? e.expiresAt : patch.expiresAt,
    });
  }
  for (const r of plan.add) {
    after.push({
      id: `line:${r.line}`,
      name: r.name ?? '',
      canonical: r.canonical,
      enabled: r.enabled ?? true,
      expiresAt: r.expiresAt ?? null,
    });
  }
  return { file, plan, after, basis: listBasis(current) };
}

/**
 * IPG_IMPORT_INVALID naming the first bad lines, or undefined when every line is good.
 *
 * @example
 * const error = invalidLines(file); if (error !== undefined) throw error;
 */
export function invalidLines(file: ImportFile): IpGateError | undefined {
  const n = file.errors.length;
  if (n === 0) return undefined;
  const first = file.errors.slice(0, 3).map((e) => e.error.message.replace(/\.$/, ''));
  const more = n > 3 ? `; and ${n - 3} more` : '';
  return new IpGateError(
    'IPG_IMPORT_INVALID',
    `${n} ${n === 1 ? 'line of the file is' : 'lines of the file are'} not valid: ${first.join('; ')}${more}.`,
    {
      field: 'content',
      hint: 'Nothing was imported. Preview the import (preview: true) to see every line with its error, fix them, and import again.',
    },
  );
}

/**
 * The draft a simulation judges the import by: its adds, edits and removals of the list as it is.
 *
 * @example
 * await simulator.run(target, importDraft(analysis.plan));
 */
export function importDraft<E extends IpListEntry>(plan: ImportPlan<E>): ListDraft {
  return {
    add: plan.add.map((r) => ({
      value: r.value,
      ...(r.name === undefined ? {} : { name: r.name }),
      ...(r.enabled === undefined ? {} : { enabled: r.enabled }),
      ...(r.expiresAt === undefined ? {} : { expiresAt: r.expiresAt }),
    })),
    edit: plan.update.map((u) => ({ id: u.before.id, ...defined(u.patch) })),
    remove: plan.remove.map((e) => e.id),
  };
}

/**
 * The preview answer, less the impact.
 *
 * @example
 * return previewOf(analysis, 'text', limit, problems);
 */
export function previewOf<E extends IpListEntry>(
  analysis: ImportAnalysis<E>,
  format: ListFormat,
  limit: number | undefined,
  problems: readonly IpGateError[],
): ImportPreviewDto {
  const { file, plan, after } = analysis;
  const warnings = listWarnings(after);
  const byLine = new Map<number, ImportPreviewDto['lines'][number]>();
  const good = (
    r: FileRow,
    action: 'add' | 'update' | 'unchanged',
    entryId: string | null,
    changes: string[],
  ) =>
    byLine.set(r.line, {
      line: r.line,
      value: r.value,
      canonical: r.canonical,
      action,
      entryId,
      changes: changes as ImportPreviewDto['lines'][number]['changes'],
      warnings: warnings.get(entryId ?? `line:${r.line}`) ?? ([] as WarningType[]),
      error: null,
    });
  const rowOf = new Map(file.rows.map((r) => [r.line, r]));
  for (const r of plan.add) good(r, 'add', null, []);
  for (const u of plan.update)
    good(rowOf.get(u.line) as FileRow, 'update', u.before.id, Object.keys(u.patch));
  for (const u of plan.unchanged) good(rowOf.get(u.line) as FileRow, 'unchanged', u.entry.id, []);
  for (const e of file.errors) {
    byLine.set(e.line, {
      line: e.line,
      value: e.value,
      canonical: null,
      action: 'invalid',
      entryId: null,
      changes: [],
      warnings: [],
      error: errorBody(e.error),
    });
  }
  return {
    preview: true,
    mode: plan.mode,
    format,
    summary: {
      add: plan.add.length,
      update: plan.update.length,
      unchanged: plan.unchanged.length,
      remove: plan.remove.length,
      invalid: file.errors.length,
    },
    lines: [...byLine.values()].sort((a, b) => a.line - b.line),
    removed: plan.remove.map(toIpEntryDto),
    count: plan.count,
    limit: limit ?? null,
    problems: problems.map(errorBody),
    basis: analysis.basis,
  };
}

function errorBody(e: IpGateError): { code: string; message: string; field?: string; hint?: string } {
  return {
    code: e.code,
    message: e.message,
    ...(e.field === undefined ? {} : { field: e.field }),
    ...(e.hint === undefined ? {} : { hint: e.hint }),
  };
}
