"""Templates are editors' input: rendered in a sandbox, within limits, every mistake named by file and line
(issue 9: D4, D9, D11)."""

from __future__ import annotations

import os
import time

import pytest
from typer.testing import CliRunner

from broadcast.cli import app
from conftest import write_small_campaign

runner = CliRunner()

PAYLOADS = {
    "runs a shell command": ('{% extends "default/base.j2" %}\n{% block signoff %}\n'
                             "{% set x = cycler.__init__.__globals__.os.popen('id > RCE_PROOF').read() %}{% endblock %}\n", 3),
    "reads the environment": ('{% extends "default/base.j2" %}\n{% block signoff %}'
                              "{{ lipsum.__globals__['os'].environ.get('HOME') }}{% endblock %}\n", 2),
}
MISTAKES = {
    "extends itself": ('{% extends "base.j2" %}\n', 1, "without end"),
    "recursive macro": ('{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\n{{ f(1) }}\n', 1, "without end"),
    "divides by zero": ('{% extends "default/base.j2" %}\n{% block signoff %}\n{{ 1 // 0 }}{% endblock %}\n', 3, "division"),
    "loops 10**12 times": ('{% extends "default/base.j2" %}\n{% block signoff %}\n'
                           "{% for i in range(10**12) %}x{% endfor %}{% endblock %}\n", 3, "range of 1000000000000"),
    "renders 108 MB": ('{% extends "default/base.j2" %}\n{% block signoff %}\n'
                       '{% for i in range(5400) %}{{ "ạ" * 20000 }}{% endfor %}{% endblock %}\n', 3, "longer than"),
    "makes a 1 GB string": ('{% extends "default/base.j2" %}\n{% block signoff %}\n{{ "x" * 10**9 }}{% endblock %}\n', 3,
                            "'*' would make"),
}


def project_with_base(tmp_path, text: str):
    config = write_small_campaign(tmp_path / "project")
    (config.parent / "templates").mkdir()
    (config.parent / "templates" / "base.j2").write_text(text, encoding="utf-8")
    return config


@pytest.mark.parametrize("name", PAYLOADS)
def test_check_refuses_code_in_templates_with_exit_2_and_file_line(tmp_path, monkeypatch, name):
    text, line = PAYLOADS[name]
    config = project_with_base(tmp_path, text)
    monkeypatch.chdir(config.parent)
    result = runner.invoke(app, ["check", "-c", str(config)])
    assert result.exit_code == 2, result.output
    assert f"templates/base.j2:{line}: not allowed in a template: access to attribute" in result.output
    assert "Traceback" not in result.output and os.environ["HOME"] not in result.output
    assert not any(p.name == "RCE_PROOF" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("name", MISTAKES)
def test_template_mistakes_and_runaway_renders_exit_2_quickly_with_file_line(tmp_path, name):
    text, line, words = MISTAKES[name]
    config = project_with_base(tmp_path, text)
    started = time.monotonic()
    result = runner.invoke(app, ["check", "-c", str(config)])
    assert time.monotonic() - started < 30
    assert result.exit_code == 2, result.output
    assert f"templates/base.j2:{line}: " in result.output and words in result.output, result.output
    assert "internal error" not in result.output


def test_build_stops_a_runaway_loop_before_voicing(tmp_path):
    config = project_with_base(tmp_path, MISTAKES["loops 10**12 times"][0])
    result = runner.invoke(app, ["build", "-c", str(config), "--engine", "espeak"])
    assert result.exit_code == 2 and "templates/base.j2:3: " in result.output, result.output
    assert not (config.parent / "audio_out" / "segments").exists()


def test_the_packaged_templates_render_unchanged_in_the_sandbox(handbook, default_env, commune_station, campaign):
    from broadcast.script import ScriptSandbox, render_script

    assert isinstance(default_env, ScriptSandbox)
    script = render_script(default_env, handbook, handbook.items[0], "elderly", commune_station, campaign)
    assert script.section("opening") and script.section("body") and script.section("closing")
