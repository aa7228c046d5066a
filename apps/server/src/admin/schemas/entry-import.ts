/**
 * The wire shape of importing and exporting a network list (docs/architecture/management.md#importing-a-list).
 */
import { type Static, Type } from 'typebox';
import { ConfirmLockout, Warning } from './common.js';
import { IpEntry } from './ip-entries.js';
import { DryRunFlag, Simulation } from './simulation.js';

const Format = Type.Enum(['text', 'csv'], {
  description:
    'text: one entry per line, a name after it, # comments (the allow-file grammar). csv: value,name,expiresAt,enabled with an optional header.',
});

const Mode = Type.Enum(['merge', 'replace'], {
  description:
    'merge (default): entries the file does not name stay. replace: they are removed — the list becomes the file.',
});

const Basis = Type.String({
  minLength: 1,
  maxLength: 100,
  description:
    'A fingerprint of the list as a preview or export saw it. Given back on an import, the import applies only if the list has not changed since (else 412 IPG_VERSION_CONFLICT).',
});

/** POST …/entries/import. */
export const ImportEntriesBody = Type.Object(
  {
    format: Type.Optional(Format),
    content: Type.String({
      maxLength: 1_000_000,
      description: 'The file. At most 1,000 entries (lines that are neither blank nor comments).',
    }),
    mode: Type.Optional(Mode),
    preview: Type.Optional(
      Type.Boolean({
        description:
          'true: write nothing; answer every line with its canonical form, warnings or error, what would be removed, and what would refuse the import.',
      }),
    ),
    basis: Type.Optional(Basis),
    confirmLockout: ConfirmLockout,
    dryRun: DryRunFlag,
  },
  {
    additionalProperties: false,
    examples: [
      {
        format: 'text',
        content: '# offices\n203.0.113.0/24  office\n198.51.100.7   vpn gateway\n',
        mode: 'merge',
        preview: true,
      },
      {
        format: 'csv',
        content:
          'value,name,expiresAt,enabled\n203.0.113.0/24,office,,true\n198.51.100.7,"vpn, old",2030-01-01T00:00:00.000Z,false\n',
        mode: 'merge',
      },
    ],
  },
);

export type ImportEntriesBodyType = Static<typeof ImportEntriesBody>;

const LineError = Type.Object({
  code: Type.String({ description: 'Stable code from docs/errors.md.' }),
  message: Type.String({ description: 'Starts with the line: "line 3: …".' }),
  field: Type.Optional(Type.String({ description: 'value, name, expiresAt or enabled.' })),
  hint: Type.Optional(Type.String()),
});

const ImportLine = Type.Object({
  line: Type.Integer({ minimum: 1, description: '1-based line of the file.' }),
  value: Type.String({ description: 'The entry as written (the whole line when it could not be split).' }),
  canonical: Type.Union([Type.String(), Type.Null()], { description: 'Null for a line in error.' }),
  action: Type.Enum(['add', 'update', 'unchanged', 'invalid'], {
    description: 'What the import does with the line; invalid lines refuse the whole import.',
  }),
  entryId: Type.Union([Type.String(), Type.Null()], {
    description: 'The entry the line matches (by canonical form); null for an add or an invalid line.',
  }),
  changes: Type.Array(Type.Enum(['value', 'name', 'enabled', 'expiresAt']), {
    description: 'For an update: the properties the line changes.',
  }),
  warnings: Type.Array(Warning, {
    description:
      "Core's warnings about the entry and within the list the import leaves (duplicate, covered by, overlaps).",
  }),
  error: Type.Union([LineError, Type.Null()]),
});

const Summary = Type.Object({
  add: Type.Integer(),
  update: Type.Integer(),
  unchanged: Type.Integer(),
  remove: Type.Integer({ description: 'Entries the file does not name (replace mode only).' }),
  invalid: Type.Integer(),
});

/** What `preview: true` answers. */
export const ImportPreview = Type.Object(
  {
    preview: Type.Literal(true),
    mode: Mode,
    format: Format,
    summary: Summary,
    lines: Type.Array(ImportLine, { description: 'Every entry line of the file, in file order.' }),
    removed: Type.Array(IpEntry, { description: 'The entries replace mode would remove.' }),
    count: Type.Integer({ description: 'Entries the list would hold afterwards.' }),
    limit: Type.Union([Type.Integer(), Type.Null()], { description: 'Most entries the list may hold.' }),
    problems: Type.Array(LineError, {
      description:
        'What would refuse this import as it is: bad lines (IPG_IMPORT_INVALID), the limit (IPG_LIMIT_REACHED), your own address (IPG_SELF_LOCKOUT, unless confirmLockout). Empty: it would apply.',
    }),
    basis: Basis,
    impact: Type.Optional(Simulation),
  },
  {
    description:
      'Nothing was written. With dryRun: true as well, impact is what the import would have done to the last 24 hours of traffic.',
    examples: [
      {
        preview: true,
        mode: 'merge',
        format: 'text',
        summary: { add: 1, update: 1, unchanged: 0, remove: 0, invalid: 1 },
        lines: [
          {
            line: 2,
            value: '203.0.113.0/24',
            canonical: '203.0.113.0/24',
            action: 'update',
            entryId: 'ent_01jf3k8m2q9v4x7c5b6n1p0r2s',
            changes: ['name'],
            warnings: [],
            error: null,
          },
          {
            line: 3,
            value: '198.51.100.7',
            canonical: '198.51.100.7',
            action: 'add',
            entryId: null,
            changes: [],
            warnings: [],
            error: null,
          },
          {
            line: 4,
            value: '10.0.0.1/8',
            canonical: null,
            action: 'invalid',
            entryId: null,
            changes: [],
            warnings: [],
            error: {
              code: 'IPG_ENTRY_HOST_BITS',
              message: 'line 4: "10.0.0.1/8" has host bits set after /8.',
              field: 'value',
            },
          },
        ],
        removed: [],
        count: 3,
        limit: 100,
        problems: [
          {
            code: 'IPG_IMPORT_INVALID',
            message: '1 line of the file is not valid: line 4: "10.0.0.1/8" has host bits set after /8.',
          },
        ],
        basis: 'b_6f1c0d6a0f2e4b1c9a7d3e5f8a2b4c6d',
      },
    ],
  },
);

export type ImportPreviewDto = Static<typeof ImportPreview>;

/** What an applied import answers. */
export const ImportResult = Type.Object(
  {
    preview: Type.Literal(false),
    mode: Mode,
    format: Format,
    summary: Type.Object({
      add: Type.Integer(),
      update: Type.Integer(),
      unchanged: Type.Integer(),
      remove: Type.Integer(),
    }),
    count: Type.Integer({ description: 'Entries the list holds now.' }),
    changeVersion: Type.Union([Type.Integer(), Type.Null()], {
      description:
        'The one change the import is (every node applies it at once); null when the file changed nothing and nothing was written.',
    }),
    basis: Basis,
  },
  {
    description:
      'Imported, all of it, as one change with one audit event (tenant.ip_entry.imported or api.allowlist_entry.imported).',
    examples: [
      {
        preview: false,
        mode: 'replace',
        format: 'csv',
        summary: { add: 2, update: 1, unchanged: 40, remove: 3 },
        count: 43,
        changeVersion: 1187,
        basis: 'b_0a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c',
      },
    ],
  },
);

export type ImportResultDto = Static<typeof ImportResult>;

/** GET …/entries/export. */
export const ExportQuery = Type.Object({ format: Type.Optional(Format) }, { additionalProperties: false });

/** What an export answers. */
export const ExportedList = Type.Object(
  {
    format: Format,
    count: Type.Integer(),
    content: Type.String({
      description:
        'The file, entries in address order. CSV holds value, name, expiresAt and enabled; text holds value and name.',
    }),
    basis: Basis,
  },
  {
    description: 'The list as a file that imports back (mode replace) to exactly this list.',
    examples: [
      {
        format: 'csv',
        count: 2,
        content: 'value,name,expiresAt,enabled\n198.51.100.7,vpn,,true\n203.0.113.0/24,office,,true\n',
        basis: 'b_6f1c0d6a0f2e4b1c9a7d3e5f8a2b4c6d',
      },
    ],
  },
);
