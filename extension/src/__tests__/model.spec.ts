import {
  codePointToUtf16,
  dashboardName,
  fillTemplate,
  INotebookJSON,
  isAuditable,
  locateSpan,
  normalisePath,
  parseSourceLink,
  relativeTo,
  serverPath,
  sourceLink,
  sourceTarget
} from '../model';
import template from '../template.json';

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
