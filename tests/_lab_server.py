"""A real JupyterLab server for the browser tests: a free loopback port, a token, nothing from the network.

The server runs in a process group of its own and the whole group is stopped when the test ends, passes
or fails: a launcher (``figure-audit lab``) cannot leave a ``jupyter-lab`` behind it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import signal
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright never downloads a browser here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium); `make browser` installs it"
)


@contextlib.contextmanager
def chromium_page(local: tuple[str, ...], width: int = 1600, height: int = 1000,
                  timeout_ms: int | None = None) -> Iterator[Any]:
    """A page of headless Chromium; ``page.errors`` collects script errors and ``page.outside`` every
    request whose URL does not start with one of ``local`` (nothing may come from the network)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            if timeout_ms is not None:
                page.set_default_timeout(timeout_ms)
            page.errors, page.outside = [], []
            page.on("pageerror", lambda exc: page.errors.append(str(exc)))
            page.on("request", lambda req: None if req.url.startswith(local) else page.outside.append(req.url))
            yield page
        finally:
            browser.close()


@contextlib.contextmanager
def workbench_page(lab: dict[str, Any], notebook: str, run_all: bool = False, timeout_ms: int | None = None) -> Iterator[Any]:
    """Chromium on ``notebook`` in the served JupyterLab (nothing fetched from outside it), the left area
    hidden, once the workbench shows its first report. ``run_all`` runs the cells once the kernel is
    up; otherwise the notebook runs itself on open (a signed notebook figure-audit lab wrote)."""
    with chromium_page((lab["url"], "data:", "blob:", "ws:"), timeout_ms=timeout_ms) as page:
        page.goto(f"{lab['url']}/lab/tree/{notebook}?token={lab['token']}")
        ready = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
        if run_all:
            ready += " && window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel"
        page.wait_for_function(f"() => {ready}")
        page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
        if run_all:
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.locator(".fa-wb-report mark").first.wait_for()
        yield page


def audit_demo(root: Path, out_name: str, output_format: str) -> Path:
    """The demo corpus (copied to ``root/demo`` once) audited by the CLI into ``root/out_name``,
    written as ``output_format`` (csv, parquet or both)."""
    from auditor.cli import main

    if not (root / "demo").exists():
        shutil.copytree(DEMO, root / "demo")
    out = root / out_name
    assert main(["run", str(root / "demo"), "--out", str(out), "--format", output_format, "--quiet", "--no-cache"]) == 0
    assert (out / "figures.parquet").exists() == (output_format != "csv")
    assert (out / "figures.csv").exists() == (output_format != "parquet")
    return out


# Servers started and not yet stopped: stopped at interpreter exit whatever happened to their fixture.
_LIVE: set[subprocess.Popen] = set()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_jupyterlab(command: list[str], root: Path, home: Path, logs: Path | None = None) -> Iterator[dict[str, Any]]:
    """Run ``command`` (a JupyterLab launcher) serving ``root`` on a free port with a token; yield its URL info.

    All settings go through a config folder of its own, so ``figure-audit lab`` is configured the same way.
    When ``command`` holds ``{port}``, the port (and address, and no browser) is left to the command's own
    options, so the test checks that they work.
    """
    config = home / "config"
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    # No news pop-ups or extension manager calls: nothing may reach the network.
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {
        "@jupyterlab/apputils-extension:announcements": True,
        "@jupyterlab/extensionmanager-extension:plugin": True,
    }}))
    port, token = free_port(), secrets.token_hex(16)
    by_command = any("{port}" in part for part in command)
    command = [part.replace("{port}", str(port)) for part in command]
    address = {} if by_command else {"ip": "127.0.0.1", "port": port, "open_browser": False}
    (config / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {**address, "port_retries": 0, "allow_root": True, "root_dir": str(root)},
        "IdentityProvider": {"token": token},
        "LabApp": {"expose_app_in_browser": True, "workspaces_dir": str(home / "workspaces"),
                   "user_settings_dir": str(home / "settings"), "extension_manager": "readonly",
                   "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
    }))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "IPYTHONDIR": str(home / "ipython")}
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    _LIVE.add(server)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                _stop(server)
                log.close()
                pytest.fail(f"jupyter lab did not start:\n{(home / 'server.log').read_text()}")
            time.sleep(0.5)
    try:
        yield {"url": url, "token": token, "root": root, "env": env, "settings": home / "settings"}
    finally:
        _stop(server)
        log.close()
        if logs is not None:  # kept beside the screenshots, to diagnose a failure in CI
            logs.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(home / "server.log", logs / f"server-{root.name}.log")


lab_server = contextlib.contextmanager(serve_jupyterlab)
"""``with lab_server(command, root, home) as server:`` stops the server on leaving the block, even on failure."""


def _stop(server: subprocess.Popen) -> None:
    """Stop the server's whole process group (the launcher and any JupyterLab it started): TERM, then KILL."""
    _LIVE.discard(server)
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The launcher is gone; make sure nothing else of its group survives it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        break


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_LIVE):
        _stop(server)


def wait_for_editor_selection(page: Any, surface: str) -> None:
    """Wait until JupyterLab's current widget is a text editor whose selection is exactly ``surface``
    (what "open in editor" / jump to source must do)."""
    page.wait_for_function(
        """(surface) => {
            const w = window.jupyterapp.shell.currentWidget;
            if (!w || !w.content || !w.content.editor || w.content.constructor.name === 'Notebook') return false;
            const ed = w.content.editor;
            const sel = ed.getSelection();
            const text = ed.model.sharedModel.getSource();
            return text.slice(ed.getOffsetAt(sel.start), ed.getOffsetAt(sel.end)) === surface;
        }""",
        arg=surface,
    )

