"""The campaign commands: check, plan and build, and how they treat bad input."""

from __future__ import annotations

from typer.testing import CliRunner

from broadcast.cli import app
from conftest import PROJECT_ROOT

runner = CliRunner()
SHIPPED = PROJECT_ROOT / "schedule.yaml"


def test_check_validates_the_shipped_campaign_without_building(tmp_path):
    result = runner.invoke(app, ["check", "-c", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    assert "33 stations, 20 days" in result.stdout and "120 scripts" in result.stdout
    assert result.stdout.strip().endswith("ok")


def test_check_reports_every_problem_with_file_line_and_field(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8")
    text = text.replace('{time: "17:00", max_minutes: 20}', '{time: "25:00", max_minutes: 20}', 1)
    text = text.replace("  end: 2023-07-20", "  end: 2023-06-20", 1)
    text = text.replace("  stagger: true", "  stager: true", 1)
    bad = tmp_path / "schedule.yaml"
    bad.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", "-c", str(bad)])
    assert result.exit_code == 2
    err = result.stderr
    assert "Traceback" not in result.output
    assert f"{bad}:" in err
    assert "levels.district.slots[1].time" in err and "25:00" in err
    assert "campaign.end" in err
    assert "stager" in err and "did you mean 'stagger'" in err


def test_plan_prints_a_table_for_one_station_and_day():
    result = runner.invoke(app, ["plan", "-c", str(SHIPPED), "-s", "bien-hoa", "--date", "2023-07-01"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["date", "time", "station"]
    assert len(lines) == 3 and all("bien-hoa" in line for line in lines[1:])


def test_plan_with_an_unknown_station_is_exit_2():
    result = runner.invoke(app, ["plan", "-c", str(SHIPPED), "-s", "bien-hao"])
    assert result.exit_code == 2 and "bien-hao" in result.stderr


def test_build_command_rebuilds_nothing_when_nothing_changed(campaign_copy):
    result = runner.invoke(app, ["build", "-c", str(campaign_copy / "schedule.yaml")])
    assert result.exit_code == 0, result.output
    assert "0 synthesis calls, 0 encodes" in result.stdout and "4 unchanged" in result.stdout


def test_build_with_an_unknown_station_suggests_the_right_one(campaign_copy):
    result = runner.invoke(app, ["build", "-c", str(campaign_copy / "schedule.yaml"), "-s", "tan-pu"])
    assert result.exit_code == 2
    assert "did you mean 'tan-phu'" in result.stderr and "Traceback" not in result.output


def test_build_with_a_date_outside_the_campaign_is_exit_2(campaign_copy):
    result = runner.invoke(app, ["build", "-c", str(campaign_copy / "schedule.yaml"), "--from", "2023-08-01"])
    assert result.exit_code == 2 and "outside the campaign" in result.stderr
