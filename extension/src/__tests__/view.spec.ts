import { IAuditPayload, IFigure } from '../model';
import { COLUMNS } from '../model';
import { AuditView, axisTitle, formatTick, formatValue, highlightedSentence, niceTicks, outletOf } from '../view';

const XSS_TITLE = '<img src=x onerror="window.__xss=1">Baiji <b>retaken</b>';
const XSS_SENTENCE = 'At least 45 <script>window.__xss=2</script> fighters were killed.';

function payload(): IAuditPayload {
  const sentenceA = XSS_SENTENCE;
  const sentenceB = 'Officials said 12 fighters were killed near Baiji.';
  return {
    version: 1,
    summary: { articles: 2, figures: 3, groups: 2, conflicts: 1, errors: 1 },
    articles: {
      a: { article_id: 'a', path: 'news/a.txt', abs_path: '/srv/news/a.txt', title: XSS_TITLE, outlet: 'Rudaw' },
      b: { article_id: 'b', path: 'news/b.txt', abs_path: '/srv/news/b.txt', title: 'B', outlet: '<i>AP</i>' }
    },
    figures: {
      fa: {
        figure_id: 'fa', article_id: 'a', start: 109, end: 120, surface: 'At least 45',
        sentence: sentenceA, sentence_start: 109, value: null, low: 45, high: null,
        qualifier: 'at_least', unit: 'count', category: 'killed', outlet: 'Rudaw', value_text: '≥ 45'
      },
      fb: {
        figure_id: 'fb', article_id: 'b', start: 215, end: 217, surface: '12',
        sentence: sentenceB, sentence_start: 200, value: 12, low: 12, high: 12,
        qualifier: 'exact', unit: 'count', category: 'killed', outlet: '<i>AP</i>'
      },
      fc: {
        figure_id: 'fc', article_id: 'b', start: 5, end: 14, surface: '155 miles',
        sentence: 'Some 155 miles north of Baghdad.', sentence_start: 0, value: 249.4, low: 249.4,
        high: 249.4, qualifier: 'exact', unit: 'km', category: 'distance',
        reported_value: 155, reported_unit: 'mile', value_text: '155 miles (about 249 km)'
      }
    },
    groups: [
      { group_id: 'g1', category: 'killed', subject: 'ISIS', location: 'Baiji', status: 'conflict', unit: 'count', figures: ['fa', 'fb'],
        spread_text: '12 to ≥ 45', status_text: 'conflict', unit_text: '' },
      { group_id: 'g2', category: 'distance', location: 'Baiji', status: 'single', unit: 'km', figures: ['fc'],
        spread_text: '249 km', status_text: 'one report', unit_text: 'km' }
    ],
    conflicts: [
      {
        conflict_id: 'c1', group_id: 'g1', figure_a: 'fa', figure_b: 'fb', category: 'killed',
        severity: 'high', relative_difference: 0.73,
        explanation: '<b>Rudaw</b> says at least 45, AP says 12'
      }
    ],
    errors: [{ path: 'bad<script>.csv', error: 'no text column' }]
  };
}

function render(opened: IFigure[] = []): HTMLElement {
  const host = document.createElement('div');
  document.body.appendChild(host);
  new AuditView(host, payload(), { openSource: figure => opened.push(figure) }).render();
  return host;
}

describe('AuditView', () => {
  afterEach(() => {
    document.body.replaceChildren();
    delete (window as any).__xss;
  });

  it('renders article text as text, never as markup', () => {
    const host = render();
    host.querySelector<HTMLElement>('.jp-FigureAudit-conflict')!.click();
    expect(host.querySelector('script, img, i')).toBeNull();
    expect(host.querySelectorAll('img').length).toBe(0);
    expect(host.querySelectorAll('script').length).toBe(0);
    expect(host.textContent).toContain(XSS_TITLE);
    expect(host.textContent).toContain('<script>window.__xss=2</script>');
    expect(host.textContent).toContain('<b>Rudaw</b> says at least 45');
    expect(host.textContent).toContain('bad<script>.csv: no text column');
    expect((window as any).__xss).toBeUndefined();
  });

  it('draws one chart row per claim group, the conflict marked', () => {
    const host = render();
    const rows = host.querySelectorAll('.jp-FigureAudit-row');
    expect(rows.length).toBe(2);
    expect(rows[0].classList.contains('jp-mod-conflict')).toBe(true);
    expect(rows[0].querySelectorAll('.jp-FigureAudit-report').length).toBe(2);
    // "at least 45" is open-ended: a dashed bar, not a point.
    const atLeast = rows[0].querySelector('[data-figure="fa"] line')!;
    expect(atLeast.getAttribute('stroke-dasharray')).toBe('6 3');
    expect(rows[0].querySelector('[data-figure="fb"] circle')).not.toBeNull();
  });

  it('shows both sources of the selected conflict', () => {
    const host = render();
    expect(host.querySelector('.jp-FigureAudit-source')).toBeNull();
    host.querySelector<HTMLElement>('[data-conflict="c1"]')!.click();
    const cards = host.querySelectorAll('.jp-FigureAudit-source');
    expect(cards.length).toBe(2);
    expect(cards[0].querySelector('mark')!.textContent).toBe('At least 45');
    expect(cards[1].querySelector('mark')!.textContent).toBe('12');
    expect(cards[1].textContent).toContain('news/b.txt');
  });

  it('selecting a group lists its reports, each with a way to its source', () => {
    const opened: IFigure[] = [];
    const host = render(opened);
    host.querySelectorAll<SVGGElement>('.jp-FigureAudit-row')[1].dispatchEvent(new MouseEvent('click'));
    const rows = host.querySelectorAll('.jp-FigureAudit-figure');
    expect(rows.length).toBe(1);
    expect(rows[0].textContent).toContain('155 miles');
    rows[0].querySelector<HTMLButtonElement>('.jp-FigureAudit-open')!.click();
    expect(opened.map(f => f.figure_id)).toEqual(['fc']);
  });
});

describe('a conflict with a reference instead of a second article', () => {
  it('names the reference and still offers the article side', () => {
    const data = payload();
    data.conflicts = [
      {
        conflict_id: 'geo', group_id: 'g2', figure_a: 'fc', figure_b: null, category: 'distance',
        kind: 'geography', outlet_a: '', outlet_b: 'gazetteer', severity: 'low',
        explanation: 'shorter than the straight line'
      }
    ];
    const host = document.createElement('div');
    new AuditView(host, data, { openSource: () => undefined }).render();
    expect(host.querySelector('[data-conflict="geo"]')!.textContent).toContain('gazetteer');
    host.querySelector<HTMLElement>('[data-conflict="geo"]')!.click();
    const cards = host.querySelectorAll('.jp-FigureAudit-source');
    expect(cards[0].querySelector('mark')!.textContent).toBe('155 miles');
    expect(cards[1].classList.contains('jp-mod-reference')).toBe(true);
    expect(cards[1].textContent).toContain('gazetteer');
    expect(cards[1].querySelector('.jp-FigureAudit-open')).toBeNull();
  });
});

describe('formatting', () => {
  it('writes intervals the way the audit reads them', () => {
    const base = { figure_id: 'x', article_id: 'a', start: 0, end: 1, surface: '', sentence: '', sentence_start: 0 };
    expect(formatValue({ ...base, value: 1500, low: 1500, high: 1500, qualifier: 'exact' })).toBe('1,500');
    expect(formatValue({ ...base, value: null, low: 24, high: 99, qualifier: 'vague' })).toBe('24–99');
    expect(formatValue({ ...base, value: null, low: 100, high: null, qualifier: 'at_least' })).toBe('≥ 100');
    expect(formatValue({ ...base, value: null, low: 0, high: 20, qualifier: 'at_most' })).toBe('0–20');
  });

  it('names a source by its outlet, else a shortened title', () => {
    const figure = { figure_id: 'x', article_id: 'a1', start: 0, end: 1, surface: '', sentence: '', sentence_start: 0 };
    const long = 'Iran-backed Iraqi army and Shiite militias entered the city of Tikrit on Wednesday, officials said';
    expect(outletOf(figure, { article_id: 'a1', path: '', abs_path: '', outlet: 'AP', title: long })).toBe('AP');
    const named = outletOf(figure, { article_id: 'a1', path: '', abs_path: '', title: long });
    expect(named.length).toBe(60);
    expect(named.endsWith('…')).toBe(true);
    expect(outletOf(figure, undefined)).toBe('a1');
  });

  it('highlights by offsets, counting code points like Python', () => {
    const figure = {
      figure_id: 'x', article_id: 'a', start: 12, end: 14, surface: '12',
      sentence: 'A 😀 report: 12 dead', sentence_start: 0
    };
    expect(highlightedSentence(figure).querySelector('mark')!.textContent).toBe('12');
  });
});

describe('readable values and axes', () => {
  afterEach(() => document.body.replaceChildren());

  it('shows the values as auditor/formatting.py wrote them, never NaN or raw qualifiers', () => {
    const host = render();
    const text = host.textContent || '';
    expect(text).toContain('12 to ≥ 45 killed'); // the row's spread, beside the chart
    expect(text).toContain('≥ 45');
    expect(text).not.toMatch(/NaN|at_least|undefined|null/);
    host.querySelectorAll<SVGGElement>('.jp-FigureAudit-row')[1].dispatchEvent(new MouseEvent('click'));
    expect(host.querySelector('.jp-FigureAudit-figure')!.textContent).toContain('155 miles (about 249 km)');
  });

  it('draws the selected group on a value axis with round ticks and its unit', () => {
    const host = render();
    const chart = host.querySelector('.jp-FigureAudit-groupChart')!;
    const ticks = Array.from(chart.querySelectorAll('.jp-FigureAudit-tick'), t => t.textContent);
    expect(ticks[0]).toBe('0');
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(chart.querySelector('.jp-FigureAudit-axisTitle')!.textContent).toBe('number killed');
    // One mark per report, the open-ended one ("≥ 45") dashed to the edge.
    expect(chart.querySelectorAll('.jp-FigureAudit-report').length).toBe(2);
    expect(chart.querySelector('[data-figure="fa"] line')!.getAttribute('stroke-dasharray')).toBe('6 3');
    host.querySelectorAll<SVGGElement>('.jp-FigureAudit-row')[1].dispatchEvent(new MouseEvent('click'));
    expect(host.querySelector('.jp-FigureAudit-groupChart .jp-FigureAudit-axisTitle')!.textContent).toBe('km');
  });

  it('labels tables with the column headings of the Python views', () => {
    const host = render();
    const conflictHeads = Array.from(host.querySelectorAll('.jp-FigureAudit-conflicts th'), th => th.textContent);
    expect(conflictHeads).toEqual(COLUMNS.columns.conflicts.map(([, heading]) => heading));
    const reportHeads = Array.from(host.querySelectorAll('.jp-FigureAudit-reports th'), th => th.textContent);
    expect(reportHeads.slice(0, -1)).toEqual(COLUMNS.columns.reports.map(([, heading]) => heading));
  });

  it('picks round ticks and short labels', () => {
    expect(niceTicks(0, 120)).toEqual([0, 50, 100]);
    expect(niceTicks(0, 56.25, 5)).toEqual([0, 20, 40]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(formatTick(1500)).toBe('1,500');
    expect(formatTick(45000)).toBe('45k');
    expect(formatTick(2500000)).toBe('2.5M');
    expect(axisTitle({ group_id: 'g', figures: [], unit: 'count', category: 'displaced' })).toBe('number displaced');
  });
});
