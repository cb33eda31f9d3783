"""Filter → redraw as the user sees it: the workbench in real JupyterLab and Debian's Chromium.

    .venv/bin/python benchmarks/browser_bench.py [--sizes 5000 50000] [--repeat 5]

For each size a notebook builds a synthetic audit (``dashboard_bench.synthetic_result``: groups of
about five reports, one group in five in conflict) and shows ``auditor.Dashboard(result)`` in
JupyterLab at 1600×1000. Each action is timed in the page from the user's event (a typed search, a
facet click, a heading click) until the frame after the redraw is painted (the handler runs, then a
requestAnimationFrame callback, then a task queued from it: the paint happened in between). Selecting
a group includes the round trip to the kernel that sends its reports. Medians and maxima in ms.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

# In-page helpers: run an action, resolve with the time until the next frame is painted.
_TIMER = """
window.__faPainted = () => new Promise(resolve => requestAnimationFrame(() => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve(performance.now());
  channel.port2.postMessage(0);
}));
window.__faTime = async (action) => {
  const t0 = performance.now();
  action();
  return (await window.__faPainted()) - t0;
};
window.__faSearch = (text) => window.__faTime(() => {
  const box = document.querySelector('.fa-wb-search');
  box.value = text;
  box.dispatchEvent(new Event('input', {bubbles: true}));
});
window.__faClick = (selector) => window.__faTime(() => document.querySelector(selector).click());
window.__faSelect = async (index) => {
  const row = document.querySelectorAll('.fa-wb-group')[index];
  const id = row.dataset.id;
  const t0 = performance.now();
  row.click();
  while (!document.querySelector(`.fa-wb-detail[data-group="${CSS.escape(id)}"] .fa-wb-report`)) {
    await new Promise(r => setTimeout(r, 2));
  }
  return (await window.__faPainted()) - t0;
};
"""


def _notebook(root: Path, n_figures: int) -> None:
    code = (
        "import sys, tempfile\nfrom pathlib import Path\n"
        f"sys.path.insert(0, {str(REPO / 'benchmarks')!r})\n"
        "from dashboard_bench import synthetic_result\nimport auditor\n"
        f"result = synthetic_result({n_figures}, Path(tempfile.mkdtemp()))\n"
        "dashboard = auditor.Dashboard(result)\ndashboard"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "bench.ipynb")


def bench(n_figures: int, repeat: int) -> None:
    from _lab_server import serve_jupyterlab
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="browser-bench-"))
    root, home = tmp / "root", tmp / "home"
    root.mkdir()
    home.mkdir()
    _notebook(root, n_figures)
    server = serve_jupyterlab([sys.executable, "-m", "jupyterlab"], root, home)
    lab = next(server)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.set_default_timeout(600_000)
                page.goto(f"{lab['url']}/lab/tree/bench.ipynb?token={lab['token']}")
                page.wait_for_function("() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel")
                started = time.perf_counter()
                page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
                page.locator(".fa-wb-detail .fa-wb-report").first.wait_for()
                shown = time.perf_counter() - started
                page.add_script_tag(content=_TIMER)
                n_groups = page.evaluate("() => document.querySelector('.fa-wb').dataset.matching")
                print(f"\n{n_figures:,} figures, {int(n_groups):,} claim groups: run cell → workbench shown "
                      f"{shown:.1f} s (audit made in the kernel included)")
                actions = [
                    ("type a search ('mosul')", "() => window.__faSearch('mosul')"),
                    ("clear the search", "() => window.__faSearch('')"),
                    ("type one letter ('k')", "() => window.__faSearch('k')"),
                    ("clear the search", "() => window.__faSearch('')"),
                    ("facet: the largest category", "() => window.__faClick(\".fa-wb-facet-value"
                                                    "[data-facet='category']\")"),
                    ("facet: status = conflict", "() => window.__faClick(\".fa-wb-facet-value[data-facet='status']"
                                                 "[data-value='conflict']\")"),
                    ("sort by reports", "() => window.__faClick(\".fa-wb-groups th[data-key='n_figures']\")"),
                    ("sort by spread", "() => window.__faClick(\".fa-wb-groups th[data-key='spread']\")"),
                    ("clear filters", "() => window.__faClick('.fa-wb-clear')"),
                    ("select a group (kernel round trip)", "() => window.__faSelect(3)"),
                    ("select another group", "() => window.__faSelect(5)"),
                ]
                times: dict[str, list[float]] = {}
                for _ in range(repeat):
                    for name, script in actions:
                        try:
                            times.setdefault(name, []).append(page.evaluate(script))
                        except Exception:
                            print(name, page.evaluate("() => [document.querySelectorAll('.fa-wb-group').length, document.querySelector('.fa-wb-shown').textContent]"))
                            page.screenshot(path="/tmp/wbsnap/shots/bench-fail.png")
                            raise
                for name, _ in actions:
                    values = times[name]
                    print(f"  {name:<36} median {statistics.median(values):7.0f} ms   max {max(values):7.0f} ms")
            finally:
                browser.close()
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"needs Debian's chromium at {CHROMIUM} (`make browser`)")
        return 1
    for n in args.sizes:
        bench(n, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
