"""Export panel and the progress bar shown while a corpus is audited from a notebook."""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from IPython.display import display


class ExportPanel:
    """Write the audit CSVs (conflicts with their review decisions) to a folder the user picks."""

    def __init__(self, result: Any) -> None:
        self._result = result
        default = Path(result.out_dir) if result.out_dir is not None else Path("audit-out")
        self.folder = widgets.Text(value=str(default), description="folder", layout=widgets.Layout(width="60%"),
                                   style={"description_width": "62px"})
        self.html = widgets.Checkbox(value=False, description="also report.html", indent=False)
        self.button = widgets.Button(description="export CSVs", icon="download", button_style="primary")
        self.message = widgets.HTML()
        self.button.on_click(lambda _: self.export())
        self.widget = widgets.VBox([widgets.HBox([self.folder, self.html, self.button]), self.message])

    def export(self) -> dict[str, Path]:
        """Write the files; show and return their paths."""
        folder = Path(self.folder.value.strip() or ".").expanduser()
        try:
            written = self._result.write(folder, html=self.html.value)
        except OSError as error:
            self.message.value = f"<span style='color:#b2182b'>Could not write to {html.escape(str(folder))}: " \
                                 f"{html.escape(str(error))}</span>"
            raise
        items = "".join(f"<li><code>{html.escape(str(Path(p).resolve()))}</code></li>" for p in written.values())
        self.message.value = f"Wrote {len(written)} files:<ul>{items}</ul>"
        return written


def audit_with_progress(paths: str | Path | Iterable[str | Path], **kwargs: Any) -> Any:
    """:func:`auditor.audit` with a progress bar in the notebook.

    Takes the same arguments as :func:`auditor.audit` (``jobs``, ``out_dir``) and returns its
    :class:`~auditor.audit.AuditResult`.
    """
    from ..audit import audit

    bar = widgets.IntProgress(value=0, min=0, max=1, description="reading", bar_style="info",
                              layout=widgets.Layout(width="50%"))
    label = widgets.Label("")
    display(widgets.HBox([bar, label]))

    def progress(done: int, total: int) -> None:
        bar.max = max(total, 1)
        bar.value = done
        bar.description = "extracting"
        label.value = f"{done:,} of {total:,} articles"

    try:
        result = audit(paths, progress=progress, **kwargs)
    except BaseException:
        bar.bar_style = "danger"
        label.value = "failed"
        raise
    bar.value = bar.max
    bar.bar_style = "success"
    bar.description = "done"
    label.value = repr(result)
    return result
