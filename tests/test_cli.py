"""The CLI: thin commands, help everywhere, one clear line and exit 2 on bad input."""

from __future__ import annotations

import json

import pytest
import typer.main
from typer.testing import CliRunner

from broadcast.cli import app

runner = CliRunner()


def invoke(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def _commands(group, prefix=()):
    for name, cmd in getattr(group, "commands", {}).items():
        yield prefix + (name,), cmd
        yield from _commands(cmd, prefix + (name,))


def test_every_command_has_help_text():
    root = typer.main.get_command(app)
    commands = list(_commands(root))
    assert len(commands) >= 4
    for path, cmd in commands:
        assert (cmd.help or "").strip(), f"{' '.join(path)} has no help text"
        result = invoke(*path, "--help")
        assert result.exit_code == 0, path


def test_items_lists_24_items_in_3_groups(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no schedule.yaml here: the packaged handbook alone
    result = invoke("items")
    assert result.exit_code == 0, result.output
    assert "24 items in 3 groups" in result.output
    assert result.output.count("Nhóm ") == 3 and "khoa-sim" in result.output


def test_items_json_is_machine_readable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("items", "--json")
    data = json.loads(result.output)
    assert len(data) == 24 and {"id", "group", "title", "warning_signs"} <= set(data[0])


def test_script_prints_the_script_and_its_reading_time(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("script", "khoa-sim", "--audience", "elderly", "--station", "Đài truyền thanh xã Gia Canh")
    assert result.exit_code == 0, result.output
    assert "Đài truyền thanh xã Gia Canh" in result.stdout
    assert "âm tiết" in result.stderr and "phút" in result.stderr


@pytest.mark.parametrize("args,expected", [
    (("script", "khoa-sin"), "did you mean 'khoa-sim'"),
    (("script", "khoa-sim", "--audience", "kids"), "general, elderly, farmers, workers, officials"),
])
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path, monkeypatch, args, expected):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.output


def test_broken_template_is_reported_with_file_and_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "general.j2").write_text('{% extends "base.j2" %}\n{% block intro %}\n{{ nope }}\n{% endblock %}\n')
    result = invoke("script", "khoa-sim", "--templates", str(tmp_path / "tpl"))
    assert result.exit_code == 2
    assert "general.j2:3:" in result.stderr and "Traceback" not in result.output


def test_templates_export_writes_the_defaults(tmp_path):
    result = invoke("templates", "export", str(tmp_path / "mine"))
    assert result.exit_code == 0
    assert (tmp_path / "mine" / "base.j2").is_file() and (tmp_path / "mine" / "elderly.j2").is_file()


def test_normalize_reads_hotlines_digit_by_digit():
    result = invoke("normalize", "Khi nghi ngờ, hãy gọi ngay 113.")
    assert result.exit_code == 0
    assert result.stdout.strip() == "Khi nghi ngờ, hãy gọi ngay một một ba."


def test_normalize_stdin_prints_one_line_per_input_line():
    result = invoke("normalize", "-", input="Ngày 20/7/2023.\n\nTổng đài 1900 1234\nSIM 4G\n")
    assert result.exit_code == 0
    lines = result.stdout.split("\n")
    assert lines[:4] == ["Ngày hai mươi tháng bảy năm hai nghìn không trăm hai mươi ba.", "",
                         "Tổng đài một chín không không một hai ba bốn", "sim bốn giê"]


def test_normalize_stdin_reports_every_unreadable_line_with_its_number():
    result = invoke("normalize", "-", input="a ☃ b\nbình thường\nc ☃\n")
    assert result.exit_code == 2
    assert "<stdin>:1:" in result.stderr and "<stdin>:3:" in result.stderr and "Traceback" not in result.output


def test_script_speech_has_no_digit_or_symbol():
    result = invoke("script", "khoa-sim", "--speech", "--station", "Đài truyền thanh xã Phú Lâm")
    assert result.exit_code == 0
    assert not any(ch.isdigit() or ch in "/&%@#+" for ch in result.stdout)


def test_normalize_stdin_prints_every_readable_line_and_marks_the_unreadable_one():
    result = invoke("normalize", "-", input="Ngày 1/7-20/7/2023\na ☃ b\nGọi 113\n")
    assert result.exit_code == 2
    assert result.stdout.split("\n")[:3] == [
        "Ngày mùng một tháng bảy đến ngày hai mươi tháng bảy năm hai nghìn không trăm hai mươi ba",
        "[?] a ☃ b",
        "Gọi một một ba",
    ]
    assert "<stdin>:2:" in result.stderr and "<stdin>:1:" not in result.stderr and "Traceback" not in result.output
