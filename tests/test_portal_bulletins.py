"""Emergency bulletins in the portal: "Phát ngay" first on the operator's page, confirmed on its own, counted apart."""

from __future__ import annotations

import datetime as dt
import io

from typer.testing import CliRunner

from broadcast.audio.ffmpeg import decode_mp3
from broadcast.cli import app
from broadcast.portal.database import Database
from broadcast.portal.report import bulletin_rows, report_xlsx, station_rows, item_rows, schedule_stations
from broadcast.portal.live import read_plan

from test_bulletins import add
from test_portal import COMMUNE, DISTRICT, Campaign, confirm, csrf_of


def test_an_emergency_bulletin_is_shown_first_played_confirmed_alone_and_counted_apart(campaign_copy):
    folder = campaign_copy
    config = folder / "schedule.yaml"
    runner = CliRunner()
    added = add(folder, "--level", "emergency", "--title", "Cảnh báo giả danh công an", "--text",
                "Công an không gọi điện bắt chuyển tiền.", "--stations", COMMUNE)
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, ["build", "--bulletins-only", "-c", str(config)]).exit_code == 0
    c = Campaign(folder)
    try:
        op = c.signed_in(COMMUNE)
        page = op.get("/").text
        assert page.index("Phát ngay") < page.index("<h2>Hôm nay")  # above the day's sessions
        assert page.count("Cảnh báo giả danh công an") == 1  # at the top only, not again among unconfirmed days
        next_day = c.signed_in(COMMUNE, today="2023-07-02").get("/").text  # the programme's day is past
        assert next_day.count("Cảnh báo giả danh công an") == 1  # still at the top, not also among unconfirmed days
        urgent = [s for s in read_plan(c.schedule.output).for_station(COMMUNE) if s.kind == "emergency"]
        assert len(urgent) == 1
        s = urgent[0]
        audio = op.get(f"/audio/{s.key}")
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
        assert decode_mp3(audio.content).duration_seconds > 3
        # The district has no such programme, and cannot fetch the commune's.
        other = c.signed_in(DISTRICT)
        assert "Phát ngay" not in other.get("/").text
        assert other.get(f"/audio/{s.key}").status_code == 403
        done = confirm(op, csrf_of(page), COMMUNE, s.date, s.slot)
        assert done.status_code == 303
        assert "Phát ngay" not in op.get("/").text  # confirmed: no longer urgent
        plan, entries = read_plan(c.schedule.output), c.db.current_entries()
        rows = {r.bulletin: r for r in bulletin_rows(plan, entries)}
        assert len(rows) == 1 and next(iter(rows.values())).aired == 1 and next(iter(rows.values())).planned == 1
        by_station = {r.station: r for r in station_rows(plan, entries, schedule_stations(c.schedule))}
        assert by_station[COMMUNE].aired == 0  # the rotation's figures do not count the bulletin
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(report_xlsx(list(by_station.values()), item_rows(plan, entries),
                                                  bulletin_rows(plan, entries))))
        assert [r[3] for r in wb["Bản tin"].iter_rows(min_row=2, values_only=True)] == [1]
    finally:
        c.db.close()
