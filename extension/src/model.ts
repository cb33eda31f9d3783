/**
 * The audit payload drawn by the renderer, and the pure helpers around it:
 * offsets, paths, source links, supported files and the dashboard template.
 *
 * Nothing here touches JupyterLab at run time, so jest tests it directly.
 */

import columns from './columns.json';

/**
 * Field lists, view columns, orderings and corpus rules, generated from the Python
 * modules (auditor/_mime.py, auditor/formatting.py, auditor/lab.py): one source for both sides.
 */
export const COLUMNS = columns;

/** The MIME type emitted by `AuditResult._repr_mimebundle_` (auditor/_mime.py). */
export const MIME_TYPE: string = columns.mime_type;

/** The scheme of source links: `figure-audit:open?path=..&start=..&end=..`. */
export const LINK_SCHEME = 'figure-audit:';

/** The DOM event a dashboard may dispatch (bubbling) instead of a link. */
export const OPEN_EVENT = 'figure-audit:open';

/** Extensions the audit reads (the contract's input formats; auditor/readers.py). */
export const SUPPORTED_EXTENSIONS: string[] = columns.corpus.supported_suffixes;

/** Above this many files "Audit figures" asks before auditing (auditor/lab.py). */
export const LARGE_CORPUS_FILES: number = columns.corpus.large_corpus_files;

export type Scalar = string | number | boolean | null;

export interface IArticle {
  article_id: string;
  path: string;
  abs_path: string;
  title?: string | null;
  outlet?: string | null;
  published?: string | null;
  url?: string | null;
}

export interface IFigure {
  figure_id: string;
  article_id: string;
  category?: string | null;
  start: number;
  end: number;
  surface: string;
  sentence: string;
  sentence_start: number | null;
  value?: number | null;
  low?: number | null;
  high?: number | null;
  qualifier?: string | null;
  unit?: string | null;
  reported_value?: number | null;
  reported_unit?: string | null;
  counted?: string | null;
  subject?: string | null;
  location?: string | null;
  source?: string | null;
  source_type?: string | null;
  published?: string | null;
  outlet?: string | null;
  reference_place?: string | null;
  group_id?: string | null;
  /** The value in plain words, made by auditor/formatting.py: "≥ 40", "40–72", "about 130 km". */
  value_text?: string;
}

export interface IGroup {
  group_id: string;
  category?: string | null;
  subject?: string | null;
  location?: string | null;
  reference_place?: string | null;
  unit?: string | null;
  n_figures?: number | null;
  n_articles?: number | null;
  low?: number | null;
  high?: number | null;
  status?: string | null;
  label?: string | null;
  figures: string[];
  omitted_figures?: number;
  /** What the reports span, in words: "12–120", "12 to ≥ 50", "237–263 km". */
  spread_text?: string;
  /** The status in words: "conflict", "one report". */
  status_text?: string;
  /** The unit word of the values ("km", "days"); "" for counted people or events. */
  unit_text?: string;
}

export interface IConflict {
  conflict_id: string;
  group_id: string;
  figure_a: string;
  /** Empty for a check against a reference (kind `geography`: the gazetteer). */
  figure_b: string | null;
  article_a?: string | null;
  article_b?: string | null;
  category?: string | null;
  relative_difference?: number | null;
  severity?: string | null;
  explanation?: string | null;
  kind?: string | null;
  /** How the two reports relate: same | part_of | update | geography. */
  relation?: string | null;
  relation_text?: string;
  outlet_a?: string | null;
  outlet_b?: string | null;
  decision?: string | null;
  note?: string | null;
}

export interface IAuditPayload {
  version: number;
  summary: {
    articles: number;
    figures: number;
    groups: number;
    conflicts: number;
    errors: number;
  };
  articles: { [id: string]: IArticle };
  figures: { [id: string]: IFigure };
  groups: IGroup[];
  conflicts: IConflict[];
  errors: { path?: string | null; error?: string | null }[];
  omitted?: { groups?: number; conflicts?: number; errors?: number };
}

/** Where to open a figure: a server path and a span in Python code points. */
export interface ISourceTarget {
  path: string;
  start: number;
  end: number;
  surface?: string;
}

/**
 * Convert a Python string offset (code points) to a JavaScript one (UTF-16 units).
 */
export function codePointToUtf16(text: string, offset: number): number {
  let units = 0;
  let points = 0;
  while (points < offset && units < text.length) {
    const code = text.charCodeAt(units);
    units += code >= 0xd800 && code <= 0xdbff && units + 1 < text.length ? 2 : 1;
    points += 1;
  }
  return units;
}

/**
 * The span of a figure in `text` as UTF-16 offsets `[from, to)`.
 *
 * Offsets come from Python (code points of the text the tool read). When the
 * editor shows a slightly different text (line endings normalised, front
 * matter re-encoded) the nearest occurrence of `surface` is used instead.
 */
export function locateSpan(
  text: string,
  start: number,
  end: number,
  surface?: string
): { from: number; to: number } {
  const from = codePointToUtf16(text, Math.max(0, start));
  const to = codePointToUtf16(text, Math.max(start, end));
  if (!surface || text.slice(from, to) === surface) {
    return { from, to };
  }
  let best = -1;
  let index = text.indexOf(surface);
  while (index !== -1) {
    if (best === -1 || Math.abs(index - from) < Math.abs(best - from)) {
      best = index;
    }
    index = text.indexOf(surface, index + 1);
  }
  return best === -1 ? { from, to } : { from: best, to: best + surface.length };
}

/** Normalise a POSIX or Windows path to forward slashes without a trailing one. */
function clean(path: string): string {
  const slashed = path.replace(/\\/g, '/');
  return slashed.length > 1 ? slashed.replace(/\/+$/, '') : slashed;
}

/**
 * Normalise `a/b/../c` style paths relative to the server root; null when the
 * path climbs above the root.
 */
export function normalisePath(path: string): string | null {
  const out: string[] = [];
  for (const part of clean(path).split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..') {
      if (!out.length) {
        return null;
      }
      out.pop();
    } else {
      out.push(part);
    }
  }
  return out.join('/');
}

/** `path` relative to folder `dir` (both relative to the server root). */
export function relativeTo(dir: string, path: string): string {
  const from = dir ? dir.split('/') : [];
  const to = path ? path.split('/') : [];
  let common = 0;
  while (common < from.length && common < to.length && from[common] === to[common]) {
    common++;
  }
  const parts = [...from.slice(common).map(() => '..'), ...to.slice(common)];
  return parts.join('/') || '.';
}

/** The folder of a server path ('' for the root). */
export function dirname(path: string): string {
  const parts = clean(path).split('/');
  parts.pop();
  return parts.join('/');
}

/** The last component of a path. */
export function basename(path: string): string {
  const parts = clean(path).split('/');
  return parts[parts.length - 1] || '';
}

/**
 * The path of an article relative to the server root, for the contents API.
 *
 * `absPath` is where the kernel found it; when it lies under `serverRoot` the
 * relative part is the answer. Otherwise a relative `path` is taken relative to
 * `baseDir` (the folder of the notebook, where the kernel ran). Returns null
 * when the file is outside the server's tree.
 */
export function serverPath(
  absPath: string | null | undefined,
  path: string | null | undefined,
  serverRoot: string,
  baseDir: string
): string | null {
  const root = clean(serverRoot || '');
  if (absPath) {
    const abs = clean(absPath);
    if (root && (abs === root || abs.startsWith(root === '/' ? '/' : root + '/'))) {
      return normalisePath(abs.slice(root.length));
    }
  }
  if (path) {
    const rel = clean(path);
    if (!rel.startsWith('/') && !/^[A-Za-z]:\//.test(rel)) {
      return normalisePath(`${baseDir}/${rel}`);
    }
    if (root && rel.startsWith(root + '/')) {
      return normalisePath(rel.slice(root.length));
    }
  }
  return null;
}

/** A link the extension opens in the editor: `figure-audit:open?path=..&start=..&end=..`. */
export function sourceLink(target: ISourceTarget): string {
  const query = new URLSearchParams({
    path: target.path,
    start: String(target.start),
    end: String(target.end)
  });
  if (target.surface) {
    query.set('surface', target.surface);
  }
  return `${LINK_SCHEME}open?${query.toString()}`;
}

/** Parse a source link; null when it is not one or its span is invalid. */
export function parseSourceLink(href: string | null | undefined): ISourceTarget | null {
  if (!href || !href.startsWith(LINK_SCHEME + 'open?')) {
    return null;
  }
  const query = new URLSearchParams(href.slice(LINK_SCHEME.length + 'open?'.length));
  return sourceTarget({
    path: query.get('path'),
    start: query.get('start'),
    end: query.get('end'),
    surface: query.get('surface')
  });
}

/** Validate loose input (link query, event detail, command args) into a target. */
export function sourceTarget(raw: {
  [key: string]: unknown;
}): ISourceTarget | null {
  const path = typeof raw.path === 'string' ? raw.path : '';
  const start = Number(raw.start);
  const end = Number(raw.end);
  if (!path || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
    return null;
  }
  const target: ISourceTarget = { path, start, end };
  if (typeof raw.surface === 'string' && raw.surface) {
    target.surface = raw.surface;
  }
  return target;
}

/** Whether the audit reads this file browser item (a folder, or a supported file). */
export function isAuditable(name: string, type: string): boolean {
  if (type === 'directory') {
    return true;
  }
  const lower = name.toLowerCase();
  return SUPPORTED_EXTENSIONS.some(ext => lower.endsWith(ext));
}

/** Whether the audit reads a file of this name (a supported type, not hidden). */
export function isArticleFile(name: string): boolean {
  const lower = name.toLowerCase();
  return !name.startsWith('.') && SUPPORTED_EXTENSIONS.some(ext => lower.endsWith(ext));
}

/**
 * Whether an audit skips a folder: hidden, tooling (`node_modules`, `site-packages`…) or
 * a virtual environment (it holds `pyvenv.cfg` or `conda-meta`), the rules of auditor/lab.py.
 * `entries` are the names in the folder, when known.
 */
export function isSkippedFolder(name: string, entries: string[] = []): boolean {
  if (name.startsWith('.') || columns.corpus.skipped_folder_names.includes(name)) {
    return true;
  }
  return entries.some(entry => columns.corpus.environment_markers.includes(entry));
}

/**
 * Whether a folder holding `names` is an output folder of `figure-audit run`: a figures table
 * beside a groups table of the same format (auditor/lab.py OUTPUT_TABLES). The hidden
 * `.figure-audit/` the Python side looks for is not listed by the server.
 */
export function isOutputFolder(names: string[]): boolean {
  const present = new Set(names);
  return columns.corpus.output_tables.some(tables => tables.every(name => present.has(name)));
}

/** A folder listing as the contents API gives it (only what counting needs). */
export interface IListing {
  name: string;
  path: string;
  type: string;
}

/** What a count of a corpus found. */
export interface ICorpusCount {
  /** Files the audit will read. */
  files: number;
  /** Folders skipped (tooling, hidden, environments). */
  skipped: string[];
  /** True when the count stopped at `limit`: there are at least `files`. */
  truncated: boolean;
}

/**
 * Count the files an audit of `paths` reads, with the audit's skip rules, through `list`
 * (the contents API in the extension). Stops once `limit` files are found.
 */
export async function countCorpus(
  paths: { path: string; type: string }[],
  list: (path: string) => Promise<IListing[]>,
  limit = 20 * LARGE_CORPUS_FILES
): Promise<ICorpusCount> {
  const count: ICorpusCount = { files: 0, skipped: [], truncated: false };
  const folders: string[] = [];
  for (const item of paths) {
    if (item.type === 'directory') {
      folders.push(item.path);
    } else if (isArticleFile(basename(item.path))) {
      count.files++;
    }
  }
  for (let given = folders.length; folders.length; given--) {
    if (count.files >= limit) {
      count.truncated = true;
      break;
    }
    const folder = folders.shift()!;
    const entries = await list(folder);
    // A folder named explicitly is read whatever it is (as auditor/lab.py does).
    if (given <= 0 && isSkippedFolder(basename(folder), entries.map(entry => entry.name))) {
      count.skipped.push(folder);
      continue;
    }
    for (const entry of entries) {
      if (entry.type === 'directory') {
        if (isSkippedFolder(entry.name)) {
          count.skipped.push(entry.path);
        } else {
          folders.push(entry.path);
        }
      } else if (isArticleFile(entry.name)) {
        count.files++;
      }
    }
  }
  return count;
}

/** Settings of the extension (schema/plugin.json). */
export interface IAuditSettings {
  outputFolder: string;
  vagueConvention: string;
}

export const DEFAULT_SETTINGS: IAuditSettings = {
  outputFolder: 'audit-out',
  vagueConvention: 'default'
};

/** A notebook as the contents API stores it (only what the template needs). */
export interface INotebookJSON {
  cells: { cell_type: string; source: string | string[]; [key: string]: unknown }[];
  metadata: { [key: string]: unknown };
  nbformat: number;
  nbformat_minor: number;
}

/**
 * Fill the dashboard template (auditor/templates/dashboard.ipynb).
 *
 * Placeholders `{{ paths }}`, `{{ out_dir }}` and `{{ convention }}` become
 * Python literals (JSON strings and lists are valid Python), so a file name can
 * never inject code. auditor/lab.py fills the same template the same way.
 */
export function fillTemplate(
  template: INotebookJSON,
  values: { paths: string[]; outDir: string; convention: string }
): INotebookJSON {
  const literals = {
    paths: pythonLiteral(values.paths),
    out_dir: pythonLiteral(values.outDir),
    convention: pythonLiteral(values.convention)
  };
  return fillCells(template, literals, { paths: values.paths });
}

/**
 * Fill the template that opens a written audit (auditor/templates/opened.ipynb):
 * `{{ out_dir }}` is the output folder, relative to the notebook. auditor/lab.py's
 * `opened_notebook` fills the same template the same way.
 */
export function fillOpenedTemplate(template: INotebookJSON, outDir: string): INotebookJSON {
  return fillCells(template, { out_dir: pythonLiteral(outDir) }, { out_dir: outDir });
}

/** A copy of `template` with its placeholders as `literals`, its outputs cleared and `meta` as our metadata. */
function fillCells(
  template: INotebookJSON,
  literals: { [key: string]: string },
  meta: { [key: string]: unknown }
): INotebookJSON {
  const fill = (source: string): string =>
    source.replace(/\{\{\s*(\w+)\s*\}\}/g, (match, name: string) =>
      name in literals ? literals[name] : match
    );
  const copy: INotebookJSON = JSON.parse(JSON.stringify(template));
  copy.metadata = { ...copy.metadata, [METADATA_KEY]: meta };
  for (const cell of copy.cells) {
    const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
    cell.source = fill(source);
    if (cell.cell_type === 'code') {
      cell.outputs = [];
      cell.execution_count = null;
    }
  }
  return copy;
}

/**
 * A Python literal for a string or list of strings: JSON strings are valid
 * Python strings (quotes, backslashes and control characters are escaped).
 */
export function pythonLiteral(value: string | string[]): string {
  return JSON.stringify(value);
}

/** Notebook metadata key: `{ "paths": [...], "run_on_open": true }` (auditor/lab.py writes the same). */
export const METADATA_KEY = 'figure_audit';

/** The dashboard notebook's stem for a selection, e.g. `figure-audit-seeds`. */
export function dashboardStem(selection: string[]): string {
  const first = selection.length === 1 ? basename(selection[0]).replace(/\.[^.]*$/, '') : '';
  return 'figure-audit' + (first ? '-' + first.replace(/[^\w.-]+/g, '_').slice(0, 60) : '');
}

/** The stem of the notebook opening the output folder `outDir`, e.g. `figure-audit-open-audit-out` (as auditor/lab.py). */
export function openedStem(outDir: string): string {
  return 'figure-audit-open-' + (basename(outDir).replace(/[^\w.-]+/g, '_').slice(0, 60) || 'folder');
}

/** `stem.ipynb`, `stem-1.ipynb`, … : every name a dashboard of this stem may have. */
function isDashboardName(name: string, stem: string): boolean {
  return (
    name === `${stem}.ipynb` || (name.startsWith(`${stem}-`) && /^\d+\.ipynb$/.test(name.slice(stem.length + 1)))
  );
}

/**
 * A free name for the dashboard notebook of a selection, e.g. `figure-audit-seeds.ipynb`
 * (or for another stem: `openedStem`).
 */
export function dashboardName(selection: string[], taken: Set<string>, stem = dashboardStem(selection)): string {
  let name = `${stem}.ipynb`;
  for (let i = 1; taken.has(name); i++) {
    name = `${stem}-${i}.ipynb`;
  }
  return name;
}

/** The existing notebooks of a folder that may be the dashboard of `selection` (or have `stem`), in name order. */
export function dashboardCandidates(selection: string[], names: string[], stem = dashboardStem(selection)): string[] {
  return names.filter(name => isDashboardName(name, stem)).sort((a, b) => a.length - b.length || a.localeCompare(b));
}

/** Whether `notebook` is a dashboard auditing exactly `paths` (its metadata says so). */
export function isDashboardOf(notebook: INotebookJSON | null | undefined, paths: string[]): boolean {
  const meta = notebook?.metadata?.[METADATA_KEY] as { paths?: unknown } | undefined;
  const known = meta?.paths;
  return (
    Array.isArray(known) &&
    known.length === paths.length &&
    known.every((path, i) => typeof path === 'string' && path === paths[i])
  );
}

/** Whether `notebook` opens the output folder `outDir` (relative to it; its metadata says so). */
export function isOpenedOf(notebook: INotebookJSON | null | undefined, outDir: string): boolean {
  const meta = notebook?.metadata?.[METADATA_KEY] as { out_dir?: unknown; paths?: unknown } | undefined;
  return meta?.out_dir === outDir && meta?.paths === undefined;
}
