import {
  IListing,
  LARGE_CORPUS_FILES,
  codePointToUtf16,
  countCorpus,
  dashboardCandidates,
  isDashboardOf,
  isSkippedFolder,
  dashboardName,
  fillTemplate,
  INotebookJSON,
  isAuditable,
  isOpenedOf,
  isOutputFolder,
  fillOpenedTemplate,
  openedStem,
  locateSpan,
  normalisePath,
  parseSourceLink,
  relativeTo,
  serverPath,
  sourceLink,
  sourceTarget
} from '../model';
import template from '../template.json';
import openedTemplate from '../opened.json';

describe('offsets from Python', () => {
  it('counts an astral character as one code point', () => {
    const text = 'A 😀 killed 12 people';
    // Python: text.index('12') == 11; JavaScript needs 12 (the emoji is two units).
    expect(codePointToUtf16(text, 11)).toBe(12);
    expect(text.slice(codePointToUtf16(text, 11), codePointToUtf16(text, 13))).toBe('12');
  });

  it('selects the exact span when offsets match', () => {
    const text = 'Some 155 miles north of Baghdad';
    expect(locateSpan(text, 5, 14, '155 miles')).toEqual({ from: 5, to: 14 });
  });

  it('falls back to the nearest occurrence of the surface when the text moved', () => {
    // The file had CRLF line endings; the editor shows LF, so offsets are 2 too far.
    const text = 'Title\n\nAt least 45 were killed. Later 45 more.';
    const start = text.indexOf('45') + 2;
    expect(locateSpan(text, start, start + 2, '45')).toEqual({
      from: text.indexOf('45'),
      to: text.indexOf('45') + 2
    });
  });
});

describe('paths', () => {
  it('maps an absolute kernel path under the server root', () => {
    expect(serverPath('/home/u/work/seeds/a.txt', 'seeds/a.txt', '/home/u/work', 'x')).toBe('seeds/a.txt');
  });

  it('resolves a relative path against the notebook folder', () => {
    expect(serverPath('/elsewhere/a.txt', '../seeds/a.txt', '', 'notebooks')).toBe('seeds/a.txt');
  });

  it('refuses files outside the served tree', () => {
    expect(serverPath('/etc/passwd', '/etc/passwd', '/home/u/work', '')).toBeNull();
    expect(serverPath(null, '../../x.txt', '', 'a')).toBeNull();
  });

  it('does not mistake a sibling folder for the root', () => {
    expect(serverPath('/home/u/work2/a.txt', null, '/home/u/work', '')).toBeNull();
  });

  it('normalises and relativises', () => {
    expect(normalisePath('a/./b/../c/')).toBe('a/c');
    expect(normalisePath('../x')).toBeNull();
    expect(relativeTo('notebooks', 'seeds/a.txt')).toBe('../seeds/a.txt');
    expect(relativeTo('', 'seeds')).toBe('seeds');
    expect(relativeTo('seeds', 'seeds')).toBe('.');
  });
});

describe('source links', () => {
  it('round-trips paths with spaces, ampersands and quotes', () => {
    const target = { path: 'news/a & b "x".txt', start: 3, end: 9, surface: '1,500' };
    expect(parseSourceLink(sourceLink(target))).toEqual(target);
  });

  it('rejects other schemes and bad spans', () => {
    expect(parseSourceLink('javascript:alert(1)')).toBeNull();
    expect(parseSourceLink('figure-audit:open?path=a.txt&start=9&end=3')).toBeNull();
    expect(parseSourceLink('figure-audit:open?start=1&end=3')).toBeNull();
    expect(sourceTarget({ path: 'a.txt', start: '1.5', end: 3 })).toBeNull();
  });
});

describe('Audit figures', () => {
  it('offers folders and the supported formats only', () => {
    expect(isAuditable('seeds', 'directory')).toBe(true);
    for (const name of ['a.txt', 'b.MD', 'c.html', 'd.htm', 'e.jsonl', 'f.csv']) {
      expect(isAuditable(name, 'file')).toBe(true);
    }
    expect(isAuditable('g.ipynb', 'notebook')).toBe(false);
    expect(isAuditable('h.pdf', 'file')).toBe(false);
  });

  it('names the dashboard after the selection without clobbering a notebook', () => {
    expect(dashboardName(['seeds'], new Set())).toBe('figure-audit-seeds.ipynb');
    expect(dashboardName(['news/a b.txt'], new Set(['figure-audit-a_b.ipynb']))).toBe(
      'figure-audit-a_b-1.ipynb'
    );
    expect(dashboardName(['a.txt', 'b.txt'], new Set())).toBe('figure-audit.ipynb');
  });

  it('fills the template with Python literals that a file name cannot break out of', () => {
    const nasty = 'x"]; import os; os.system("rm -rf ~") #\\';
    const filled = fillTemplate(template as INotebookJSON, {
      paths: ['seeds', nasty],
      outDir: 'audit-out',
      convention: 'acled'
    });
    const code = filled.cells
      .filter(c => c.cell_type === 'code')
      .map(c => c.source as string)
      .join('\n');
    expect(code).not.toMatch(/\{\{/);
    const line = code.split('\n').find(l => l.startsWith('PATHS = '))!;
    // The literal after `PATHS = ` is exactly one JSON (= Python) list holding both strings.
    expect(JSON.parse(line.slice('PATHS = '.length))).toEqual(['seeds', nasty]);
    expect(code).toContain('set_vague_convention("acled")');
    expect(code).toContain('OUT_DIR = "audit-out"');
    expect(code).toContain('auditor.Dashboard(result)');
  });

  it('leaves the template itself untouched', () => {
    const before = JSON.stringify(template);
    fillTemplate(template as INotebookJSON, { paths: ['a'], outDir: 'o', convention: 'default' });
    expect(JSON.stringify(template)).toBe(before);
  });
});

describe('counting a corpus before auditing it', () => {
  /** A fake contents API over a list of file paths. */
  function tree(files: string[]): (path: string) => Promise<IListing[]> {
    return async (folder: string) => {
      const prefix = folder ? folder + '/' : '';
      const seen = new Map<string, IListing>();
      for (const file of files.filter(f => f.startsWith(prefix))) {
        const rest = file.slice(prefix.length).split('/');
        const name = rest[0];
        seen.set(name, { name, path: prefix + name, type: rest.length > 1 ? 'directory' : 'file' });
      }
      return Array.from(seen.values());
    };
  }

  it('skips tooling, hidden folders, environments and code, as the Python side does', async () => {
    const list = tree([
      'repo/news/a.txt', 'repo/news/b.md', 'repo/news/c.html', 'repo/src/tool.py', 'repo/src/notes.csv',
      'repo/node_modules/x/CHANGELOG.md', 'repo/web/node_modules/y/README.md', 'repo/.git/x.txt',
      'repo/.venv/lib/a.md', 'repo/env/pyvenv.cfg', 'repo/env/lib/b.md', 'repo/lib/site-packages/c.txt',
      'repo/venv/readme.txt'
    ]);
    const count = await countCorpus([{ path: 'repo', type: 'directory' }], list);
    expect(count.files).toBe(4);
    expect(count.truncated).toBe(false);
    expect(count.skipped.sort()).toEqual(
      ['repo/.git', 'repo/.venv', 'repo/env', 'repo/lib/site-packages', 'repo/node_modules', 'repo/venv',
        'repo/web/node_modules'].sort()
    );
  });

  it('stops counting a huge folder once it is past the limit', async () => {
    const files = Array.from({ length: 3000 }, (_, i) => `big/${Math.floor(i / 100)}/f${i}.txt`);
    const count = await countCorpus([{ path: 'big', type: 'directory' }], tree(files), 500);
    expect(count.truncated).toBe(true);
    expect(count.files).toBeGreaterThanOrEqual(500);
    expect(count.files).toBeLessThan(3000);
    expect(LARGE_CORPUS_FILES).toBeLessThan(3000); // such a folder is asked about
  });

  it('recognises environments by name or by what they hold', () => {
    expect(isSkippedFolder('node_modules')).toBe(true);
    expect(isSkippedFolder('.ipynb_checkpoints')).toBe(true);
    expect(isSkippedFolder('env', ['bin', 'pyvenv.cfg'])).toBe(true);
    expect(isSkippedFolder('miniconda', ['conda-meta', 'lib'])).toBe(true);
    expect(isSkippedFolder('env', ['reports'])).toBe(false);
    expect(isSkippedFolder('sudan')).toBe(false);
  });
});

describe('one dashboard per folder', () => {
  it('finds the dashboards a folder may already have for a selection', () => {
    const names = ['figure-audit-seeds-2.ipynb', 'x.ipynb', 'figure-audit-seeds.ipynb', 'figure-audit-seeds-x.ipynb'];
    expect(dashboardCandidates(['seeds'], names)).toEqual(['figure-audit-seeds.ipynb', 'figure-audit-seeds-2.ipynb']);
  });

  it('reuses a notebook only when it audits the same paths', () => {
    const filled = fillTemplate(template as INotebookJSON, { paths: ['.'], outDir: 'audit-out', convention: 'default' });
    expect(isDashboardOf(filled, ['.'])).toBe(true);
    expect(isDashboardOf(filled, ['news'])).toBe(false);
    expect(isDashboardOf({ ...filled, metadata: {} }, ['.'])).toBe(false);
  });
});

describe('an output folder of figure-audit run is opened, not audited', () => {
  it('knows an output folder by a figures table beside a groups table of the same format', () => {
    expect(isOutputFolder(['figures.parquet', 'groups.parquet', 'conflicts.parquet'])).toBe(true);
    expect(isOutputFolder(['articles.csv', 'figures.csv', 'groups.csv', 'report.html'])).toBe(true);
    // A corpus that happens to hold a figures table is still a corpus.
    expect(isOutputFolder(['figures.csv', 'khartoum.txt'])).toBe(false);
    expect(isOutputFolder(['figures.parquet', 'groups.csv'])).toBe(false);
    expect(isOutputFolder([])).toBe(false);
  });

  it('fills the template figure-audit lab uses with the folder as a Python literal', () => {
    const filled = fillOpenedTemplate(openedTemplate as INotebookJSON, 'out "x"\\');
    const code = filled.cells.filter(cell => cell.cell_type === 'code').map(cell => cell.source as string);
    expect(code.join('\n')).toContain('OUT_DIR = "out \\"x\\"\\\\"');
    expect(code.join('\n')).toContain('auditor.open_audit(OUT_DIR)');
    expect(code.join('\n')).toContain('auditor.Dashboard(opened)');
    expect(code.join('\n')).not.toContain('{{');
    expect(filled.cells.every(cell => cell.cell_type !== 'code' || (cell.outputs as unknown[]).length === 0)).toBe(true);
  });

  it('reuses a notebook only when it opens the same folder', () => {
    const filled = fillOpenedTemplate(openedTemplate as INotebookJSON, 'audit-out');
    expect(isOpenedOf(filled, 'audit-out')).toBe(true);
    expect(isOpenedOf(filled, 'other-out')).toBe(false);
    const dashboard = fillTemplate(template as INotebookJSON, { paths: ['.'], outDir: 'audit-out', convention: 'default' });
    expect(isOpenedOf(dashboard, 'audit-out')).toBe(false);
    expect(isDashboardOf(filled, ['audit-out'])).toBe(false);
  });

  it('names the notebook as figure-audit lab DIR does', () => {
    expect(openedStem('runs/audit out')).toBe('figure-audit-open-audit_out');
    expect(dashboardName([], new Set(['figure-audit-open-audit-out.ipynb']), openedStem('audit-out'))).toBe(
      'figure-audit-open-audit-out-1.ipynb'
    );
  });
});
