"""Set-up files agree with each other and with the docs."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _requirement(spec: str) -> tuple[str, str]:
    name = re.split(r"[<>=!~ ]", spec, maxsplit=1)[0]
    return name.lower().replace("_", "-"), spec[len(name):].replace(" ", "")


def test_environment_yml_lists_the_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_requirement(s) for s in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_requirement(s) for s in env["dependencies"] if isinstance(s, str)}
    conda -= {("python", "=3.11"), ("nodejs", "=20"), ("pip", "")}
    assert conda == wanted


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"^\s*(make \w+)\s*$", ci, flags=re.M)
    assert commands == ["make test"]
    assert "make test" in readme and "make audit" in readme


def test_readme_documents_every_command_line_option():
    from auditor.cli import _parser

    readme = (ROOT / "README.md").read_text()
    parser = _parser()
    subparsers = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    missing = []
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help" and option not in readme:
                    missing.append(f"{name} {option}")
    assert missing == []


def test_readme_documents_the_public_api():
    import auditor

    readme = (ROOT / "README.md").read_text()
    for name in ("load_articles", "extract_figures", "audit", "Dashboard"):
        assert name in auditor.__all__
        assert f"auditor.{name}" in readme or f"{name}(" in readme, name
