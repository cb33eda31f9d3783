/**
 * Figure Auditor in JupyterLab.
 *
 * - renders `application/vnd.figure-audit+json` (groups, conflicts, sources);
 * - "Audit figures": file browser context menu, command palette, launcher; on an output
 *   folder of `figure-audit run` it is "Open audit" (the written audit, not audited again);
 * - "Open figure source": the article in the editor with the figure selected,
 *   also reachable from any output through `figure-audit:open?...` links or a
 *   bubbling `figure-audit:open` DOM event (how the dashboard widget asks);
 * - settings: default output folder, vague-amount convention.
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, Notification, showDialog } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { FileDialog, IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import {
  DEFAULT_SETTINGS,
  IArticle,
  IAuditPayload,
  IAuditSettings,
  IFigure,
  IListing,
  INotebookJSON,
  ISourceTarget,
  LARGE_CORPUS_FILES,
  LINK_SCHEME,
  METADATA_KEY,
  MIME_TYPE,
  OPEN_EVENT,
  SUPPORTED_EXTENSIONS,
  basename,
  countCorpus,
  dashboardCandidates,
  dashboardName,
  dashboardStem,
  dirname,
  isDashboardOf,
  fillOpenedTemplate,
  fillTemplate,
  isAuditable,
  isOpenedOf,
  isOutputFolder,
  locateSpan,
  normalisePath,
  openedStem,
  parseSourceLink,
  relativeTo,
  serverPath,
  sourceTarget
} from './model';
import { AuditView, el } from './view';
import template from './template.json';
import openedTemplate from './opened.json';

const PLUGIN_ID = 'figure-auditor:plugin';

/** Command ids. */
export namespace CommandIDs {
  export const audit = 'figure-auditor:audit';
  export const openSource = 'figure-auditor:open-source';
}

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">' +
  '<g class="jp-icon3" fill="#616161"><rect x="3" y="13" width="3" height="7"/>' +
  '<rect x="8" y="9" width="3" height="11"/><rect x="13" y="5" width="3" height="15"/>' +
  '<path d="M19 3l2 2-4 4-2-2z"/><circle cx="16" cy="10" r="1.5"/></g></svg>';

const auditIcon = new LabIcon({ name: 'figure-auditor:audit', svgstr: ICON_SVG });

/** The server's root folder, for mapping the kernel's absolute paths ('' if unknown). */
function serverRoot(): string {
  const root = PageConfig.getOption('serverRoot') || '';
  return root.startsWith('~') ? '' : root;
}

/** The folder of the document an output belongs to, from its URL resolver. */
async function documentDir(resolver: IRenderMime.IResolver | null | undefined): Promise<string> {
  if (!resolver) {
    return '';
  }
  try {
    const probe = await resolver.resolveUrl('figure-audit-probe');
    return normalisePath(dirname(decodeURI(probe))) ?? '';
  } catch {
    return '';
  }
}

/** Renders the audit payload; asks the app to open sources. */
class AuditRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(
    private readonly options: IRenderMime.IRendererOptions,
    private readonly open: (target: ISourceTarget) => Promise<void>
  ) {
    super();
    this.addClass('jp-FigureAudit-output');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const payload = model.data[this.options.mimeType] as unknown as IAuditPayload;
    if (!payload || typeof payload !== 'object' || !Array.isArray(payload.groups)) {
      this.node.textContent = 'Figure audit: this output is not in a format this extension reads.';
      return;
    }
    const view = new AuditView(this.node, payload, {
      openSource: (figure, article) => void this.openFigure(figure, article)
    });
    view.render();
  }

  private async openFigure(figure: IFigure, article: IArticle | undefined): Promise<void> {
    const path = serverPath(
      article?.abs_path,
      article?.path,
      serverRoot(),
      await documentDir(this.options.resolver)
    );
    if (!path) {
      Notification.warning(
        `The article ${article?.path || figure.article_id} is outside the folder JupyterLab serves.`,
        { autoClose: 5000 }
      );
      return;
    }
    await this.open({ path, start: figure.start, end: figure.end, surface: figure.surface });
  }
}

/** Open a file in the editor with the figure's span selected and scrolled into view. */
async function openSource(
  app: JupyterFrontEnd,
  docManager: IDocumentManager,
  target: ISourceTarget
): Promise<{ path: string; from: number; to: number; selected: string }> {
  const widget = docManager.openOrReveal(target.path, 'Editor');
  if (!widget) {
    throw new Error(`Cannot open ${target.path}`);
  }
  await widget.context.ready;
  app.shell.activateById(widget.id);
  const editor = (widget.content as any).editor;
  const text: string = editor.model.sharedModel.getSource();
  const { from, to } = locateSpan(text, target.start, target.end, target.surface);
  const selection = { start: editor.getPositionAt(from), end: editor.getPositionAt(to) };
  editor.setSelection(selection);
  editor.focus();
  // Reveal once the editor is laid out in the shell.
  await new Promise(resolve => requestAnimationFrame(resolve));
  editor.revealSelection(selection);
  return { path: target.path, from, to, selected: text.slice(from, to) };
}

/** Runs in progress: a notebook asked to run twice at once (by the command and by its
 * `run_on_open` metadata, for a notebook `figure-audit lab` wrote) runs once. */
const running = new WeakMap<NotebookPanel, Promise<void>>();

/** Run every cell of a dashboard notebook, then save its outputs. */
function runDashboard(panel: NotebookPanel): Promise<void> {
  const pending = running.get(panel);
  if (pending) {
    return pending;
  }
  const run = (async () => {
    await panel.context.ready;
    await panel.sessionContext.ready;
    await NotebookActions.runAll(panel.content, panel.sessionContext);
    await panel.context.save();
  })().finally(() => running.delete(panel));
  running.set(panel, run);
  return run;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Figure Auditor: audit results, the Audit figures command and jump to source.',
  autoStart: true,
  requires: [IRenderMimeRegistry, IDocumentManager],
  optional: [
    IDefaultFileBrowser,
    INotebookTracker,
    ICommandPalette,
    ILauncher,
    ISettingRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    docManager: IDocumentManager,
    browser: IDefaultFileBrowser | null,
    notebooks: INotebookTracker | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const settings: IAuditSettings = { ...DEFAULT_SETTINGS };
    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(loaded => {
        const update = () => {
          settings.outputFolder =
            (loaded.get('outputFolder').composite as string) || DEFAULT_SETTINGS.outputFolder;
          settings.vagueConvention =
            (loaded.get('vagueConvention').composite as string) || DEFAULT_SETTINGS.vagueConvention;
        };
        update();
        loaded.changed.connect(update);
      });
    }

    const open = async (target: ISourceTarget): Promise<void> => {
      await app.commands.execute(CommandIDs.openSource, { ...target });
    };

    // Safe: the renderer writes text nodes only, so it also runs in untrusted notebooks.
    rendermime.addFactory(
      {
        safe: true,
        mimeTypes: [MIME_TYPE],
        defaultRank: 0,
        createRenderer: options => new AuditRenderer(options, open)
      },
      0
    );

    app.commands.addCommand(CommandIDs.openSource, {
      label: 'Open Figure Source',
      caption: 'Open an article with a figure selected',
      execute: async args => {
        const target = sourceTarget(args as { [key: string]: unknown });
        if (!target) {
          throw new Error('Open Figure Source needs path, start and end');
        }
        try {
          return await openSource(app, docManager, target);
        } catch (error) {
          Notification.error(`Cannot open ${target.path}: ${error}`, { autoClose: 5000 });
          throw error;
        }
      }
    });

    /** What to audit: explicit paths, else the file browser selection. */
    const selection = (): { path: string; type: string }[] =>
      browser ? Array.from(browser.selectedItems(), item => ({ path: item.path, type: item.type })) : [];

    const contents = app.serviceManager.contents;
    const list = async (path: string): Promise<IListing[]> =>
      ((await contents.get(path, { content: true })).content as IListing[]) ?? [];

    /** Ask for a folder with JupyterLab's file dialog; null when cancelled. */
    const askFolder = async (start: string): Promise<string | null> => {
      const result = await FileDialog.getExistingDirectory({
        manager: docManager,
        title: 'Audit figures: choose the folder of articles',
        defaultPath: start
      });
      if (!result.button.accept || !result.value) {
        return null;
      }
      const chosen = result.value[0];
      return chosen ? (normalisePath(chosen.path) ?? '') : start;
    };

    /** Count what an audit would read; ask before a large one. False when the user says no. */
    const confirmCount = async (items: { path: string; type: string }[], where: string): Promise<boolean> => {
      const count = await countCorpus(items, list);
      const skipped = count.skipped.length
        ? ` (skipped: ${count.skipped.slice(0, 3).map(basename).join(', ')}${count.skipped.length > 3 ? ', …' : ''})`
        : '';
      const files = `${count.truncated ? 'more than ' : ''}${count.files.toLocaleString('en-US')}`;
      if (count.files === 0) {
        Notification.warning(
          `No articles to audit in ${where || 'the home folder'}: the audit reads ${SUPPORTED_EXTENSIONS.join(' ')} files${skipped}.`,
          { autoClose: 8000 }
        );
        return false;
      }
      if (count.files > LARGE_CORPUS_FILES) {
        const body = el('div', 'jp-FigureAudit-confirm');
        body.textContent =
          `${where || 'This folder'} holds ${files} files to audit${skipped}. ` +
          'Auditing them may take a long time. Audit them all?';
        const answer = await showDialog({
          title: `Audit ${files} files?`,
          body: new Widget({ node: body }),
          buttons: [Dialog.cancelButton({ label: 'Cancel' }), Dialog.okButton({ label: `Audit ${files} files` })],
          defaultButton: 0
        });
        return answer.button.accept;
      }
      Notification.info(`Auditing ${files} files in ${where || 'the home folder'}${skipped}.`, { autoClose: 5000 });
      return true;
    };

    /** The notebook named `stem…` in `dir` that `isOurs` accepts, else a free name; true when it exists. */
    const notebookPath = async (
      dir: string,
      stem: string,
      isOurs: (notebook: INotebookJSON) => boolean
    ): Promise<[string, boolean]> => {
      const names = (await list(dir)).map(entry => entry.name);
      for (const name of dashboardCandidates([], names, stem)) {
        const path = dir ? `${dir}/${name}` : name;
        try {
          const existing = await contents.get(path, { content: true, type: 'notebook' });
          if (isOurs(existing.content as INotebookJSON)) {
            return [path, true];
          }
        } catch {
          // unreadable: not ours to reuse
        }
      }
      const name = dashboardName([], new Set(names), stem);
      return [dir ? `${dir}/${name}` : name, false];
    };

    /** Save `content` at `path` unless reused, open it and run it; its path. */
    const openNotebook = async (path: string, reused: boolean, content: () => INotebookJSON): Promise<string> => {
      if (!reused) {
        await contents.save(path, { type: 'notebook', format: 'json', content: content() });
      }
      const panel = docManager.openOrReveal(path, 'Notebook') as NotebookPanel | undefined;
      if (!panel) {
        throw new Error(`Cannot open ${path}`);
      }
      await runDashboard(panel);
      return path;
    };

    // Whether a folder is an output folder of `figure-audit run`, as last listed: the command
    // says "Open audit" on one. Listed again when the file browser selects it.
    const outputFolders = new Map<string, boolean>();
    const probeOutputFolder = async (path: string): Promise<boolean> => {
      let found = false;
      try {
        found = isOutputFolder((await list(path)).map(entry => entry.name));
      } catch {
        // unreadable: not an audit we can open
      }
      if (outputFolders.get(path) !== found) {
        outputFolders.set(path, found);
        app.commands.notifyCommandChanged(CommandIDs.audit);
      }
      return found;
    };
    /** The one selected folder when it is known to be an output folder, else null. */
    const selectedOutputFolder = (): string | null => {
      const items = selection();
      return items.length === 1 && items[0].type === 'directory' && outputFolders.get(items[0].path)
        ? items[0].path
        : null;
    };
    browser?.selectionChanged.connect(() => {
      const items = selection();
      if (items.length === 1 && items[0].type === 'directory') {
        void probeOutputFolder(items[0].path);
      }
    });

    /** Open the audit written into `outDir` beside it, with the template `figure-audit lab DIR` uses. */
    const openAudit = async (outDir: string): Promise<string> => {
      const dir = dirname(outDir);
      const relative = relativeTo(dir, outDir);
      const [path, reused] = await notebookPath(dir, openedStem(outDir), nb => isOpenedOf(nb, relative));
      Notification.info(`Opening the audit written in ${outDir || 'the home folder'}.`, { autoClose: 5000 });
      return openNotebook(path, reused, () => fillOpenedTemplate(openedTemplate as INotebookJSON, relative));
    };

    app.commands.addCommand(CommandIDs.audit, {
      label: args => (args.isLauncher ? 'Figure Audit' : selectedOutputFolder() !== null ? 'Open audit' : 'Audit figures'),
      caption: () =>
        selectedOutputFolder() !== null
          ? `Open the audit written in ${selectedOutputFolder()} (figure-audit run --out) in a notebook, without auditing again`
          : 'Audit the figures of the selected articles, or of a folder you choose, in a dashboard notebook',
      icon: args => (args.isPalette ? undefined : auditIcon),
      isVisible: args =>
        !args.isContextMenu || (selection().length > 0 && selection().every(i => isAuditable(i.path, i.type))),
      execute: async args => {
        const cwd = typeof args.cwd === 'string' ? args.cwd : browser ? browser.model.path : '';
        let dir = normalisePath(cwd.replace(/^[^/:]*:/, '')) ?? '';
        let items: { path: string; type: string }[];
        if (Array.isArray(args.paths)) {
          items = (args.paths as unknown[])
            .filter((p): p is string => typeof p === 'string')
            .map(path => ({ path: normalisePath(path) ?? path, type: /\.[^/.]+$/.test(path) ? 'file' : 'directory' }));
        } else {
          items = args.isLauncher ? [] : selection().filter(i => isAuditable(i.path, i.type));
        }
        if (!items.length) {
          // Nothing suitable selected: ask, rather than audit whatever folder is open.
          const folder = typeof args.folder === 'string' ? args.folder : await askFolder(dir);
          if (folder === null) {
            return null;
          }
          dir = normalisePath(folder) ?? '';
          items = [{ path: dir, type: 'directory' }];
        }
        // An output folder of `figure-audit run`: open what it holds rather than audit its tables.
        if (items.length === 1 && items[0].type === 'directory' && (await probeOutputFolder(items[0].path))) {
          return openAudit(items[0].path);
        }
        const targets = items.map(item => item.path);
        if (!(await confirmCount(items, targets.length === 1 ? targets[0] : dir))) {
          return null;
        }
        const relative = targets.map(path => relativeTo(dir, normalisePath(path) ?? path));
        const [path, reused] = await notebookPath(dir, dashboardStem(targets), nb => isDashboardOf(nb, relative));
        return openNotebook(path, reused, () =>
          fillTemplate(template as INotebookJSON, {
            paths: relative,
            outDir: settings.outputFolder,
            convention: settings.vagueConvention
          })
        );
      }
    });

    app.contextMenu.addItem({
      command: CommandIDs.audit,
      args: { isContextMenu: true },
      selector: '.jp-DirListing-item[data-isdir]',
      rank: 3
    });
    palette?.addItem({ command: CommandIDs.audit, category: 'Figure Auditor', args: { isPalette: true } });
    launcher?.add({ command: CommandIDs.audit, category: 'Other', rank: 1, args: { isLauncher: true } });

    // Notebooks written by `figure-audit lab` ask to be run once when opened. Only a
    // trusted notebook (signed where it was made) is run, so a shared file cannot run code.
    notebooks?.widgetAdded.connect(async (_, panel) => {
      await panel.context.ready;
      const model = panel.model;
      const meta = model?.getMetadata(METADATA_KEY) as { run_on_open?: boolean } | undefined;
      if (!model || !meta?.run_on_open) {
        return;
      }
      model.setMetadata(METADATA_KEY, { ...meta, run_on_open: false });
      const trusted = Array.from(model.cells).every(cell => cell.type !== 'code' || cell.trusted);
      if (!trusted) {
        Notification.info('This figure audit notebook is not trusted: run it yourself (Run All).', {
          autoClose: 8000
        });
        return;
      }
      await runDashboard(panel);
    });

    // Links `figure-audit:open?path=..` and `figure-audit:open` events from any output.
    const resolveTarget = (target: ISourceTarget, origin: EventTarget | null): ISourceTarget | null => {
      const notebookNode = origin instanceof Element ? origin.closest('.jp-NotebookPanel') : null;
      const panel = notebooks?.find(p => p.node === notebookNode);
      const base = panel ? dirname(panel.context.path) : browser?.model.path ?? '';
      const path = serverPath(target.path, target.path, serverRoot(), base);
      return path ? { ...target, path } : null;
    };
    const follow = (raw: ISourceTarget | null, origin: EventTarget | null) => {
      const target = raw ? resolveTarget(raw, origin) : null;
      if (!target) {
        Notification.warning('That figure source is outside the folder JupyterLab serves.', { autoClose: 5000 });
        return;
      }
      void open(target);
    };
    document.addEventListener(
      'click',
      event => {
        const anchor = event
          .composedPath()
          .find(
            (node): node is HTMLAnchorElement =>
              node instanceof HTMLAnchorElement && (node.getAttribute('href') || '').startsWith(LINK_SCHEME)
          );
        if (!anchor) {
          return;
        }
        event.preventDefault();
        event.stopPropagation();
        follow(parseSourceLink(anchor.getAttribute('href')), anchor);
      },
      true
    );
    document.addEventListener(OPEN_EVENT, event => {
      const detail = (event as CustomEvent).detail;
      follow(detail && typeof detail === 'object' ? sourceTarget(detail) : null, event.composedPath()[0] ?? null);
    });
  }
};

export default plugin;
