/**
 * The audit view: a chart of claim groups, the conflicts, both sources of the
 * selected conflict and the reports of the selected group.
 *
 * Built with DOM calls only: every string from an article goes in through
 * `textContent` / text nodes, never as markup.
 */

import {
  IArticle,
  IAuditPayload,
  IFigure,
  IGroup,
  codePointToUtf16
} from './model';

/** What the view asks of its host. */
export interface IViewActions {
  /** Open the article of `figure` with the figure's span selected. */
  openSource(figure: IFigure, article: IArticle | undefined): void;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const ROW_HEIGHT = 24;
const LABEL_WIDTH = 260;
const TRACK_WIDTH = 420;
const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf'
];

/** Create an element with classes and optional text (as text, never HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string | null
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined && text !== null) {
    node.textContent = text;
  }
  return node;
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: { [name: string]: string | number }
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, String(value));
  }
  return node;
}

/** A number as a reader expects it: 1,500 / 0.25 / "" for none. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '';
  }
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/** The value of a figure as written by the audit: 45, 40–50, ≥ 100, ≤ 20. */
export function formatValue(figure: IFigure): string {
  const { value, low, high } = figure;
  if (value !== null && value !== undefined && (figure.qualifier === 'exact' || low === high)) {
    return formatNumber(value);
  }
  if (low !== null && low !== undefined && high !== null && high !== undefined) {
    return low === high ? formatNumber(low) : `${formatNumber(low)}–${formatNumber(high)}`;
  }
  if (low !== null && low !== undefined) {
    return `≥ ${formatNumber(low)}`;
  }
  if (high !== null && high !== undefined) {
    return `≤ ${formatNumber(high)}`;
  }
  return formatNumber(value);
}

/** Who published a figure: outlet, else title (shortened), else the article id. */
export function outletOf(figure: IFigure, article: IArticle | undefined): string {
  return figure.outlet || article?.outlet || shorten(article?.title || '', 60) || figure.article_id;
}

/** At most `max` characters, an ellipsis marking the cut. */
export function shorten(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1).trimEnd() + '…' : text;
}

/**
 * The sentence of a figure with the figure itself in a `<mark>`.
 *
 * Offsets are Python code points into the article; the sentence starts at
 * `sentence_start`, so the mark covers exactly the figure's span.
 */
export function highlightedSentence(figure: IFigure): HTMLElement {
  const node = el('blockquote', 'jp-FigureAudit-sentence');
  const sentence = figure.sentence || '';
  let from = -1;
  let to = -1;
  if (figure.sentence_start !== null && figure.sentence_start !== undefined) {
    const relStart = figure.start - figure.sentence_start;
    const relEnd = figure.end - figure.sentence_start;
    if (relStart >= 0 && relEnd >= relStart) {
      from = codePointToUtf16(sentence, relStart);
      to = codePointToUtf16(sentence, relEnd);
    }
  }
  if (from < 0 || to > sentence.length || sentence.slice(from, to) !== figure.surface) {
    from = figure.surface ? sentence.indexOf(figure.surface) : -1;
    to = from + (figure.surface || '').length;
  }
  if (from < 0) {
    node.appendChild(document.createTextNode(sentence));
    return node;
  }
  node.appendChild(document.createTextNode(sentence.slice(0, from)));
  node.appendChild(el('mark', 'jp-FigureAudit-mark', sentence.slice(from, to)));
  node.appendChild(document.createTextNode(sentence.slice(to)));
  return node;
}

/** Lower and upper end of a figure's interval; null = open on that side. */
function bounds(figure: IFigure): [number | null, number | null] {
  const low = figure.low ?? figure.value ?? null;
  const high = figure.high ?? (figure.low === null || figure.low === undefined ? figure.value ?? null : null);
  return [low, high];
}

function groupTitle(group: IGroup): string {
  if (group.label) {
    return group.label;
  }
  const where = [group.location, group.reference_place].filter(Boolean).join(' / ');
  return [group.category, group.subject, where].filter(Boolean).join(' · ');
}

/**
 * The whole audit view. `render()` can be called again after a selection change.
 */
export class AuditView {
  constructor(
    readonly host: HTMLElement,
    readonly payload: IAuditPayload,
    readonly actions: IViewActions
  ) {
    const conflictGroup = payload.conflicts[0]?.group_id;
    this.selectedGroup =
      payload.groups.find(g => g.group_id === conflictGroup)?.group_id ??
      payload.groups[0]?.group_id ??
      null;
    this.selectedConflict = null;
    this.colours = new Map();
  }

  /** The group whose reports the table shows. */
  selectedGroup: string | null;
  /** The conflict whose two sources are shown side by side. */
  selectedConflict: string | null;

  selectGroup(groupId: string | null): void {
    this.selectedGroup = groupId;
    this.render();
  }

  selectConflict(conflictId: string | null): void {
    this.selectedConflict = conflictId;
    const conflict = this.payload.conflicts.find(c => c.conflict_id === conflictId);
    if (conflict) {
      this.selectedGroup = conflict.group_id;
    }
    this.render();
  }

  render(): void {
    const { host, payload } = this;
    host.replaceChildren();
    host.classList.add('jp-FigureAudit');
    host.appendChild(this.summary());
    if (!payload.groups.length && !payload.conflicts.length) {
      host.appendChild(
        el(
          'p',
          'jp-FigureAudit-empty',
          payload.summary.figures
            ? 'No claim groups: the figures were not grouped across articles.'
            : 'No figures found.'
        )
      );
    }
    if (payload.groups.length) {
      host.appendChild(this.chart());
    }
    if (payload.conflicts.length) {
      host.appendChild(this.conflictsTable());
      host.appendChild(this.sources());
    }
    const group = payload.groups.find(g => g.group_id === this.selectedGroup);
    if (group) {
      host.appendChild(this.reportsTable(group));
    }
    if (payload.errors.length) {
      host.appendChild(this.errorList());
    }
  }

  private colour(figure: IFigure): string {
    const key = outletOf(figure, this.payload.articles[figure.article_id]);
    if (!this.colours.has(key)) {
      this.colours.set(key, PALETTE[this.colours.size % PALETTE.length]);
    }
    return this.colours.get(key)!;
  }

  private summary(): HTMLElement {
    const { summary, omitted } = this.payload;
    const node = el('div', 'jp-FigureAudit-summary');
    node.appendChild(el('strong', undefined, 'Figure audit'));
    const parts: [number, string][] = [
      [summary.articles, 'articles'],
      [summary.figures, 'figures'],
      [summary.groups, 'claim groups'],
      [summary.conflicts, 'conflicts'],
      [summary.errors, 'unreadable files']
    ];
    for (const [count, name] of parts) {
      const item = el('span', 'jp-FigureAudit-count', `${count.toLocaleString('en-US')} ${name}`);
      if (name === 'conflicts' && count > 0) {
        item.classList.add('jp-mod-conflict');
      }
      node.appendChild(item);
    }
    const left = (omitted?.groups || 0) + (omitted?.conflicts || 0);
    if (left > 0) {
      node.appendChild(
        el('span', 'jp-FigureAudit-omitted', `(${left.toLocaleString('en-US')} more not shown here; see the dashboard)`)
      );
    }
    return node;
  }

  /** One row per claim group; each report a point, an interval or an open-ended bar. */
  private chart(): HTMLElement {
    const { payload } = this;
    const section = el('section', 'jp-FigureAudit-chart');
    section.appendChild(el('h3', undefined, 'Claim groups'));
    const scroller = el('div', 'jp-FigureAudit-chartScroll');
    const width = LABEL_WIDTH + TRACK_WIDTH + 20;
    const height = payload.groups.length * ROW_HEIGHT + 4;
    const root = svg('svg', {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': 'Reports of each claim group'
    });
    payload.groups.forEach((group, row) => {
      const y = row * ROW_HEIGHT + 2;
      const line = svg('g', {
        class:
          'jp-FigureAudit-row' +
          (group.status === 'conflict' ? ' jp-mod-conflict' : '') +
          (group.group_id === this.selectedGroup ? ' jp-mod-selected' : ''),
        'data-group': group.group_id
      });
      line.appendChild(svg('rect', { x: 0, y, width, height: ROW_HEIGHT - 2, class: 'jp-FigureAudit-rowBg' }));
      const label = svg('text', { x: 6, y: y + ROW_HEIGHT / 2 + 2, class: 'jp-FigureAudit-rowLabel' });
      const title = groupTitle(group);
      label.textContent = shorten(title, 40);
      line.appendChild(label);
      const tip = svg('title', {});
      tip.textContent = `${title} (${group.status || 'single'}, ${group.unit || ''})`;
      line.appendChild(tip);
      this.drawReports(line, group, y);
      line.addEventListener('click', () => this.selectGroup(group.group_id));
      root.appendChild(line);
    });
    scroller.appendChild(root);
    section.appendChild(scroller);
    return section;
  }

  private drawReports(line: SVGGElement, group: IGroup, y: number): void {
    const figures = group.figures
      .map(id => this.payload.figures[id])
      .filter((f): f is IFigure => !!f);
    const ends: number[] = [];
    for (const figure of figures) {
      for (const end of bounds(figure)) {
        if (end !== null) {
          ends.push(end);
        }
      }
    }
    if (!ends.length) {
      return;
    }
    let min = Math.min(...ends);
    let max = Math.max(...ends);
    if (min === max) {
      min -= Math.abs(min) * 0.5 || 1;
      max += Math.abs(max) * 0.5 || 1;
    }
    const pad = (max - min) * 0.08;
    min = Math.max(0, min - pad);
    // Leave room to the right so an open-ended report ("at least N") reads as a bar.
    const openEnded = figures.some(f => bounds(f)[1] === null);
    max += openEnded ? (max - min) * 0.6 : pad;
    const x0 = LABEL_WIDTH;
    const scale = (v: number) => x0 + ((v - min) / (max - min)) * TRACK_WIDTH;
    const mid = y + (ROW_HEIGHT - 2) / 2;
    line.appendChild(svg('line', { x1: x0, x2: x0 + TRACK_WIDTH, y1: mid, y2: mid, class: 'jp-FigureAudit-axis' }));
    figures.forEach((figure, i) => {
      const [low, high] = bounds(figure);
      const colour = this.colour(figure);
      const offset = ((i % 3) - 1) * 3; // keep coincident reports visible
      const mark = svg('g', { class: 'jp-FigureAudit-report', 'data-figure': figure.figure_id });
      const from = scale(low ?? min);
      const to = high === null ? x0 + TRACK_WIDTH : scale(high);
      if (low !== null && high !== null && low === high) {
        mark.appendChild(svg('circle', { cx: from, cy: mid + offset, r: 5, fill: colour }));
      } else {
        mark.appendChild(
          svg('line', {
            x1: from,
            x2: to,
            y1: mid + offset,
            y2: mid + offset,
            stroke: colour,
            'stroke-width': 5,
            'stroke-linecap': 'round',
            'stroke-dasharray': high === null || low === null ? '6 3' : ''
          })
        );
      }
      const tip = svg('title', {});
      tip.textContent = `${outletOf(figure, this.payload.articles[figure.article_id])}: ${figure.surface} (${formatValue(figure)})`;
      mark.appendChild(tip);
      line.appendChild(mark);
    });
  }

  private conflictsTable(): HTMLElement {
    const { payload } = this;
    const section = el('section', 'jp-FigureAudit-conflicts');
    section.appendChild(el('h3', undefined, 'Conflicts'));
    const table = el('table', 'jp-FigureAudit-table');
    const head = el('tr');
    for (const name of ['severity', 'category', 'A', 'B', 'explanation']) {
      head.appendChild(el('th', undefined, name));
    }
    table.appendChild(el('thead')).appendChild(head);
    const body = table.appendChild(el('tbody'));
    for (const conflict of payload.conflicts) {
      const row = el('tr', 'jp-FigureAudit-conflict');
      row.dataset.conflict = conflict.conflict_id;
      if (conflict.conflict_id === this.selectedConflict) {
        row.classList.add('jp-mod-selected');
      }
      row.appendChild(el('td', `jp-FigureAudit-severity jp-mod-${conflict.severity || 'none'}`, conflict.severity));
      row.appendChild(el('td', undefined, conflict.category));
      row.appendChild(this.sideCell(conflict.figure_a, conflict.outlet_a));
      row.appendChild(this.sideCell(conflict.figure_b, conflict.outlet_b));
      row.appendChild(el('td', 'jp-FigureAudit-explanation', conflict.explanation));
      row.addEventListener('click', () => this.selectConflict(conflict.conflict_id));
      body.appendChild(row);
    }
    section.appendChild(table);
    return section;
  }

  private sideCell(figureId: string | null, reference?: string | null): HTMLElement {
    const cell = el('td');
    const figure = figureId ? this.payload.figures[figureId] : undefined;
    if (!figure) {
      cell.textContent = reference || figureId || '';
      return cell;
    }
    cell.appendChild(el('b', undefined, figure.surface));
    cell.appendChild(document.createTextNode(` (${outletOf(figure, this.payload.articles[figure.article_id])})`));
    return cell;
  }

  /** Both sources of the selected conflict, side by side. */
  private sources(): HTMLElement {
    const section = el('section', 'jp-FigureAudit-sources');
    const conflict = this.payload.conflicts.find(c => c.conflict_id === this.selectedConflict);
    if (!conflict) {
      section.appendChild(el('p', 'jp-FigureAudit-hint', 'Select a conflict to compare its two sources.'));
      return section;
    }
    section.appendChild(el('h3', undefined, 'Sources'));
    const pair = el('div', 'jp-FigureAudit-pair');
    pair.appendChild(this.sourceCard(conflict.figure_a, conflict.outlet_a, 'A'));
    pair.appendChild(this.sourceCard(conflict.figure_b, conflict.outlet_b, 'B'));
    section.appendChild(pair);
    if (conflict.explanation) {
      section.appendChild(el('p', 'jp-FigureAudit-explanation', conflict.explanation));
    }
    return section;
  }

  private sourceCard(figureId: string | null, reference: string | null | undefined, side: string): HTMLElement {
    const card = el('div', 'jp-FigureAudit-source');
    card.dataset.side = side;
    const figure = figureId ? this.payload.figures[figureId] : undefined;
    if (!figure) {
      card.classList.add('jp-mod-reference');
      card.appendChild(el('h4', undefined, `${side}: ${reference || 'reference'}`));
      card.appendChild(
        el('p', undefined, figureId ? `Figure ${figureId} is not in this view.` : 'Not an article: see the explanation.')
      );
      return card;
    }
    const article = this.payload.articles[figure.article_id];
    const heading = outletOf(figure, article);
    card.appendChild(el('h4', undefined, `${side}: ${heading}`));
    if (article?.title && article.title !== heading) {
      card.appendChild(el('div', 'jp-FigureAudit-title', article.title));
    }
    const meta = [figure.published || article?.published, figure.source ? `source: ${figure.source}` : '']
      .filter(Boolean)
      .join(' · ');
    if (meta) {
      card.appendChild(el('div', 'jp-FigureAudit-meta', meta));
    }
    card.appendChild(el('div', 'jp-FigureAudit-value', `${formatValue(figure)} ${figure.unit || ''}`.trim()));
    card.appendChild(highlightedSentence(figure));
    card.appendChild(el('div', 'jp-FigureAudit-path', article?.path || figure.article_id));
    card.appendChild(this.openButton(figure, article));
    return card;
  }

  private openButton(figure: IFigure, article: IArticle | undefined): HTMLElement {
    const button = el('button', 'jp-Button jp-mod-styled jp-FigureAudit-open', 'Open in editor');
    button.title = 'Open the article with this figure selected';
    button.addEventListener('click', event => {
      event.stopPropagation();
      this.actions.openSource(figure, article);
    });
    return button;
  }

  private reportsTable(group: IGroup): HTMLElement {
    const section = el('section', 'jp-FigureAudit-reports');
    section.appendChild(el('h3', undefined, `Reports: ${groupTitle(group)}`));
    const table = el('table', 'jp-FigureAudit-table');
    const head = el('tr');
    for (const name of ['outlet', 'published', 'figure', 'value', 'qualifier', 'source', 'sentence', '']) {
      head.appendChild(el('th', undefined, name));
    }
    table.appendChild(el('thead')).appendChild(head);
    const body = table.appendChild(el('tbody'));
    for (const id of group.figures) {
      const figure = this.payload.figures[id];
      if (!figure) {
        continue;
      }
      const article = this.payload.articles[figure.article_id];
      const row = el('tr', 'jp-FigureAudit-figure');
      row.dataset.figure = figure.figure_id;
      const swatch = el('td');
      const dot = el('span', 'jp-FigureAudit-swatch');
      dot.style.backgroundColor = this.colour(figure);
      swatch.appendChild(dot);
      swatch.appendChild(document.createTextNode(outletOf(figure, article)));
      row.appendChild(swatch);
      row.appendChild(el('td', undefined, figure.published || article?.published || ''));
      row.appendChild(el('td', undefined, figure.surface));
      row.appendChild(el('td', undefined, `${formatValue(figure)} ${figure.unit || ''}`.trim()));
      row.appendChild(el('td', undefined, figure.qualifier));
      row.appendChild(el('td', undefined, figure.source));
      const sentence = el('td');
      sentence.appendChild(highlightedSentence(figure));
      row.appendChild(sentence);
      const open = el('td');
      open.appendChild(this.openButton(figure, article));
      row.appendChild(open);
      body.appendChild(row);
    }
    section.appendChild(table);
    if (group.omitted_figures) {
      section.appendChild(el('p', 'jp-FigureAudit-omitted', `${group.omitted_figures} more reports not shown.`));
    }
    return section;
  }

  private errorList(): HTMLElement {
    const section = el('section', 'jp-FigureAudit-errors');
    section.appendChild(el('h3', undefined, 'Files not read'));
    const list = section.appendChild(el('ul'));
    for (const error of this.payload.errors) {
      list.appendChild(el('li', undefined, `${error.path || ''}: ${error.error || ''}`));
    }
    return section;
  }

  private colours: Map<string, string>;
}
