"""A real JupyterLab server for the browser tests: a free loopback port, a token, nothing from the network."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_jupyterlab(command: list[str], root: Path, home: Path, logs: Path | None = None) -> Iterator[dict[str, Any]]:
    """Run ``command`` (a JupyterLab launcher) serving ``root`` on a free port with a token; yield its URL info.

    All settings go through a config folder of its own, so ``figure-audit lab`` is configured the same way.
    """
    config = home / "config"
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    # No news pop-ups or extension manager calls: nothing may reach the network.
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {
        "@jupyterlab/apputils-extension:announcements": True,
        "@jupyterlab/extensionmanager-extension:plugin": True,
    }}))
    port, token = free_port(), secrets.token_hex(16)
    (config / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"ip": "127.0.0.1", "port": port, "port_retries": 0, "open_browser": False,
                      "allow_root": True, "root_dir": str(root)},
        "IdentityProvider": {"token": token},
        "LabApp": {"expose_app_in_browser": True, "workspaces_dir": str(home / "workspaces"),
                   "user_settings_dir": str(home / "settings"), "extension_manager": "readonly",
                   "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
    }))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "IPYTHONDIR": str(home / "ipython")}
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"jupyter lab did not start:\n{(home / 'server.log').read_text()}")
            time.sleep(0.5)
    try:
        yield {"url": url, "token": token, "root": root, "env": env, "settings": home / "settings"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if logs is not None:  # kept beside the screenshots, to diagnose a failure in CI
            logs.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(home / "server.log", logs / f"server-{root.name}.log")
