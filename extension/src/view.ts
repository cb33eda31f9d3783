/**
 * The audit view: a chart of claim groups, the conflicts, both sources of the
 * selected conflict and the reports of the selected group.
 *
 * Built with DOM calls only: every string from an article goes in through
 * `textContent` / text nodes, never as markup.
 */

import {
  COLUMNS,
  IArticle,
  IAuditPayload,
  IConflict,
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
const TEXT_WIDTH = 170; // the readable value right of a track
const AXIS_HEIGHT = 44; // tick labels and the axis title under a chart
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

/**
 * The value of a figure in plain words: the payload's `value_text` (auditor/formatting.py,
 * "≥ 40", "40–72", "about 130 km"); a payload without it gets the same shapes from the bounds.
 */
export function formatValue(figure: IFigure): string {
  if (typeof figure.value_text === 'string' && figure.value_text) {
    return figure.value_text;
  }
  const { value, low, high } = figure;
  const unit = figure.unit && figure.unit !== 'count' ? ` ${figure.unit}` : '';
  let text: string;
  if (value !== null && value !== undefined && (figure.qualifier === 'exact' || low === high)) {
    text = formatNumber(value);
  } else if (low !== null && low !== undefined && high !== null && high !== undefined) {
    text = low === high ? formatNumber(low) : `${formatNumber(low)}–${formatNumber(high)}`;
  } else if (low !== null && low !== undefined) {
    text = `≥ ${formatNumber(low)}`;
  } else if (high !== null && high !== undefined) {
    text = `≤ ${formatNumber(high)}`;
  } else {
    text = formatNumber(value);
  }
  return text ? text + unit : '';
}

/** Round tick values covering `[min, max]`: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) {
    return Number.isFinite(min) ? [min] : [];
  }
  const raw = (max - min) / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * power).find(s => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

/** A tick label: 1,500 / 12k / 1.2M. */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) {
    return `${Number((value / 1e6).toPrecision(3))}M`;
  }
  if (abs >= 1e4) {
    return `${Number((value / 1e3).toPrecision(3))}k`;
  }
  return formatNumber(value);
}

/** The title of a group's value axis: its unit ("km"), or what is counted ("number killed"). */
export function axisTitle(group: IGroup): string {
  if (group.unit_text) {
    return group.unit_text;
  }
  if (group.unit && group.unit !== 'count') {
    return group.unit;
  }
  return group.category ? `number ${group.category}` : 'number reported';
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
      host.appendChild(this.groupChart(group));
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
    section.appendChild(
      el(
        'p',
        'jp-FigureAudit-hint',
        'Each row has its own scale, its values written at the right; click a row to see its reports on one axis.'
      )
    );
    const scroller = el('div', 'jp-FigureAudit-chartScroll');
    const width = LABEL_WIDTH + TRACK_WIDTH + TEXT_WIDTH;
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
      tip.textContent = `${title}: ${group.spread_text || ''} (${group.status_text || group.status || ''})`;
      line.appendChild(tip);
      this.drawReports(line, group, y);
      // Each row has its own scale: its values are written out beside it.
      const spread = svg('text', {
        x: LABEL_WIDTH + TRACK_WIDTH + 10,
        y: y + ROW_HEIGHT / 2 + 2,
        class: 'jp-FigureAudit-rowValue'
      });
      const what = group.unit_text ? '' : ` ${group.category || ''}`;
      spread.textContent = group.spread_text ? shorten(`${group.spread_text}${what}`.trimEnd(), 28) : '';
      line.appendChild(spread);
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
    // Columns and headings of auditor/formatting.py (CONFLICT_VIEW_COLUMNS), as every view shows them.
    for (const [, heading] of COLUMNS.columns.conflicts) {
      head.appendChild(el('th', undefined, heading));
    }
    table.appendChild(el('thead')).appendChild(head);
    const body = table.appendChild(el('tbody'));
    for (const conflict of payload.conflicts) {
      const row = el('tr', 'jp-FigureAudit-conflict');
      row.dataset.conflict = conflict.conflict_id;
      if (conflict.conflict_id === this.selectedConflict) {
        row.classList.add('jp-mod-selected');
      }
      for (const [key] of COLUMNS.columns.conflicts) {
        row.appendChild(this.conflictCell(conflict, key));
      }
      row.addEventListener('click', () => this.selectConflict(conflict.conflict_id));
      body.appendChild(row);
    }
    section.appendChild(table);
    return section;
  }

  private conflictCell(conflict: IConflict, key: string): HTMLElement {
    switch (key) {
      case 'severity':
        return el('td', `jp-FigureAudit-severity jp-mod-${conflict.severity || 'none'}`, conflict.severity);
      case 'label': {
        const group = this.payload.groups.find(g => g.group_id === conflict.group_id);
        const claim = group ? groupTitle(group) : conflict.category || '';
        return el('td', undefined, [claim, conflict.relation_text].filter(Boolean).join(' · '));
      }
      case 'report_a':
        return this.sideCell(conflict.figure_a, conflict.outlet_a);
      case 'report_b':
        return this.sideCell(conflict.figure_b, conflict.outlet_b);
      case 'explanation':
        return el('td', 'jp-FigureAudit-explanation', conflict.explanation);
      case 'decision':
        return el('td', 'jp-FigureAudit-decision', conflict.decision || 'to review');
      default:
        return el('td', undefined, String((conflict as unknown as { [k: string]: unknown })[key] ?? ''));
    }
  }

  private sideCell(figureId: string | null, reference?: string | null): HTMLElement {
    const cell = el('td');
    const figure = figureId ? this.payload.figures[figureId] : undefined;
    if (!figure) {
      cell.textContent = reference || figureId || '';
      return cell;
    }
    cell.appendChild(el('b', undefined, formatValue(figure) || figure.surface));
    cell.appendChild(document.createTextNode(` (${outletOf(figure, this.payload.articles[figure.article_id])})`));
    return cell;
  }

  /** The selected group's reports on one value axis, with ticks and units: one row per report. */
  private groupChart(group: IGroup): HTMLElement {
    const section = el('section', 'jp-FigureAudit-groupChart');
    section.appendChild(el('h3', undefined, `Reported values: ${groupTitle(group)}`));
    const figures = group.figures.map(id => this.payload.figures[id]).filter((f): f is IFigure => !!f);
    const ends = figures.flatMap(f => bounds(f)).filter((v): v is number => v !== null && Number.isFinite(v));
    if (!ends.length) {
      section.appendChild(el('p', 'jp-FigureAudit-hint', 'No numeric values to draw.'));
      return section;
    }
    const openEnded = figures.some(f => bounds(f)[1] === null);
    let min = Math.min(0, ...ends);
    let max = Math.max(...ends);
    if (max === min) {
      max = min + 1;
    }
    max += openEnded ? (max - min) * 0.25 : 0;
    const ticks = niceTicks(min, max, 5);
    min = Math.min(min, ticks[0] ?? min);
    max = Math.max(max, ticks[ticks.length - 1] ?? max);
    const x0 = LABEL_WIDTH;
    const scale = (v: number) => x0 + ((v - min) / (max - min || 1)) * TRACK_WIDTH;
    const rows = figures.length;
    const width = LABEL_WIDTH + TRACK_WIDTH + TEXT_WIDTH;
    const plotBottom = rows * ROW_HEIGHT + 4;
    const height = plotBottom + AXIS_HEIGHT;
    const root = svg('svg', {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `Reported values of ${groupTitle(group)}, in ${axisTitle(group)}`
    });
    // Grid lines and tick labels first, under the marks.
    const axis = svg('g', { class: 'jp-FigureAudit-xAxis' });
    axis.appendChild(svg('line', { x1: x0, x2: x0 + TRACK_WIDTH, y1: plotBottom, y2: plotBottom, class: 'jp-FigureAudit-axisLine' }));
    for (const tick of ticks) {
      const x = scale(tick);
      axis.appendChild(svg('line', { x1: x, x2: x, y1: 0, y2: plotBottom + 4, class: 'jp-FigureAudit-grid' }));
      const label = svg('text', { x, y: plotBottom + 16, class: 'jp-FigureAudit-tick', 'text-anchor': 'middle' });
      label.textContent = formatTick(tick);
      axis.appendChild(label);
    }
    const title = svg('text', {
      x: x0 + TRACK_WIDTH / 2,
      y: plotBottom + 36,
      class: 'jp-FigureAudit-axisTitle',
      'text-anchor': 'middle'
    });
    title.textContent = axisTitle(group);
    axis.appendChild(title);
    root.appendChild(axis);
    figures.forEach((figure, row) => {
      const y = row * ROW_HEIGHT + 2 + (ROW_HEIGHT - 2) / 2;
      const [low, high] = bounds(figure);
      const colour = this.colour(figure);
      const mark = svg('g', { class: 'jp-FigureAudit-report', 'data-figure': figure.figure_id });
      const name = svg('text', { x: 6, y: y + 4, class: 'jp-FigureAudit-rowLabel' });
      const article = this.payload.articles[figure.article_id];
      name.textContent = shorten(
        [outletOf(figure, article), figure.published || article?.published].filter(Boolean).join(' · '),
        40
      );
      mark.appendChild(name);
      const from = scale(low ?? min);
      const to = high === null ? x0 + TRACK_WIDTH : scale(high);
      if (low !== null && high !== null && low === high) {
        mark.appendChild(svg('circle', { cx: from, cy: y, r: 5, fill: colour }));
      } else {
        mark.appendChild(
          svg('line', {
            x1: from,
            x2: to,
            y1: y,
            y2: y,
            stroke: colour,
            'stroke-width': 6,
            'stroke-linecap': 'round',
            'stroke-dasharray': high === null || low === null ? '6 3' : ''
          })
        );
      }
      const value = svg('text', { x: x0 + TRACK_WIDTH + 10, y: y + 4, class: 'jp-FigureAudit-rowValue' });
      value.textContent = shorten(formatValue(figure), 26);
      mark.appendChild(value);
      const tip = svg('title', {});
      tip.textContent = `${outletOf(figure, article)}: “${figure.surface}” = ${formatValue(figure)}`;
      mark.appendChild(tip);
      root.appendChild(mark);
    });
    section.appendChild(root);
    return section;
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
    card.appendChild(el('div', 'jp-FigureAudit-value', formatValue(figure)));
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
    // Columns and headings of auditor/formatting.py (REPORT_VIEW_COLUMNS), then the editor button.
    for (const [, heading] of COLUMNS.columns.reports) {
      head.appendChild(el('th', undefined, heading));
    }
    head.appendChild(el('th'));
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
      for (const [key] of COLUMNS.columns.reports) {
        row.appendChild(this.reportCell(figure, article, key));
      }
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

  private reportCell(figure: IFigure, article: IArticle | undefined, key: string): HTMLElement {
    switch (key) {
      case 'outlet': {
        const cell = el('td');
        const dot = el('span', 'jp-FigureAudit-swatch');
        dot.style.backgroundColor = this.colour(figure);
        cell.appendChild(dot);
        cell.appendChild(document.createTextNode(outletOf(figure, article)));
        return cell;
      }
      case 'published':
        return el('td', undefined, figure.published || article?.published || '');
      case 'value_text': {
        // As written ("155 miles"), then as read ("155 miles (about 249 km)") when that says more.
        const cell = el('td', 'jp-FigureAudit-valueCell');
        cell.appendChild(el('b', undefined, figure.surface));
        const value = formatValue(figure);
        if (value && value !== figure.surface) {
          cell.appendChild(el('div', 'jp-FigureAudit-read', value));
        }
        return cell;
      }
      case 'sentence': {
        const cell = el('td');
        cell.appendChild(highlightedSentence(figure));
        return cell;
      }
      default:
        return el('td', undefined, String((figure as unknown as { [k: string]: unknown })[key] ?? ''));
    }
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
