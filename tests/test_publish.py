"""The campaign build: every session MP3, its playlist, script, manifest, CSV, ICS and pages."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from broadcast.audio import decode_mp3, mp3_info, read_tags
from conftest import build_small_campaign, write_small_campaign


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "audio_out" / "manifest.json").read_text(encoding="utf-8"))


def samples(path: Path):
    return decode_mp3(path).get_array_of_samples()


def test_cold_build_publishes_one_mp3_per_session(built_campaign):
    folder, report = built_campaign
    m = manifest_of(folder)
    assert report.sessions == len(m["programmes"]) == 4  # 2 stations x 2 days x 1 slot
    assert report.failures == [] and report.tts_calls > 0 and report.encodes == report.segments_made
    for rec in m["programmes"]:
        assert (folder / "audio_out" / rec["file"]).is_file()
        assert rec["engines"] == ["espeak"]


def test_every_session_mp3_is_the_sum_of_its_parts_with_its_own_tags(built_campaign):
    folder, _ = built_campaign
    out = folder / "audio_out"
    m = manifest_of(folder)
    for rec in m["programmes"]:
        path = out / rec["file"]
        parts = [out / m["segments"][k]["file"] for k in rec["segments"]]
        info = mp3_info(path)
        assert info.duration_s == pytest.approx(sum(mp3_info(p).duration_s for p in parts), abs=0.005)
        assert info.duration_s == pytest.approx(rec["duration_s"], abs=0.005)
        assert (info.sample_rate, info.channels, info.bitrate_kbps) == (44100, 1, 48)
        tags = read_tags(path)
        assert tags.station == rec["station_name"] and tags.date == rec["date"]
        assert tuple(tags.items) == tuple(rec["items"]) and "Tháng hành động" in tags.campaign
        assert rec["station_name"] in tags.title


def test_joins_add_no_gap_or_glitch(built_campaign):
    folder, _ = built_campaign
    out = folder / "audio_out"
    m = manifest_of(folder)
    rec = m["programmes"][0]
    joined = samples(out / rec["file"])
    # A part decoded alone is gapless-trimmed by its LAME header; in the joined file, which has no such
    # header, each part brings its 1105 samples of encoder delay and 47 of padding (one frame, 26 ms),
    # which export took out of the part's silent edges: so the programme is the audio sample for sample.
    delay, frame = 1105, 1152
    parts = [samples(out / m["segments"][k]["file"]) for k in rec["segments"]]
    assert len(joined) == sum(len(p) + frame for p in parts)
    start = 0
    for part in parts:
        for i in range(0, len(part), 97):
            # Decoding across a join differs only by the filterbank's overlap, inside the silent edges.
            assert abs(joined[start + delay + i] - part[i]) < 0.02 * 32768, (start, i)
        if start:  # no click: around each join the signal moves smoothly
            window = joined[start - 441: start + 441]
            assert max(abs(window[j + 1] - window[j]) for j in range(len(window) - 1)) < 0.05 * 32768
        start += len(part) + frame


def test_manifest_checksums_match_every_file(built_campaign):
    folder, _ = built_campaign
    out = folder / "audio_out"
    m = manifest_of(folder)
    entries = list(m["segments"].values()) + [r for r in m["programmes"]]
    for entry in entries:
        data = (out / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
        assert entry["duration_s"] > 0
    for rel in m["files"]:
        assert (out / rel).is_file(), rel


def test_playlist_and_script_accompany_each_session(built_campaign):
    folder, _ = built_campaign
    out = folder / "audio_out"
    for rec in manifest_of(folder)["programmes"]:
        playlist = (out / rec["playlist"]).read_text(encoding="utf-8").splitlines()
        assert playlist[0] == "#EXTM3U"
        entries = [line for line in playlist if line and not line.startswith("#")]
        assert len(entries) == len(rec["segments"])
        for entry in entries:
            assert ((out / rec["playlist"]).parent / entry).resolve().is_file()
        script = (out / rec["script"]).read_text(encoding="utf-8")
        assert rec["station_name"] in script and rec["titles"][0] in script


def test_schedule_csv_opens_in_excel_with_vietnamese_intact(built_campaign):
    folder, _ = built_campaign
    raw = (folder / "audio_out" / "schedule.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel it is UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Ngày", "Giờ", "Mã đài", "Tên đài"]
    assert len(rows) == 1 + 4
    assert {r[3] for r in rows[1:]} == {"Đài Truyền thanh huyện Tân Phú", "Đài truyền thanh xã Phú Lâm"}


def test_schedule_ics_parses_with_a_real_calendar_library(built_campaign):
    import icalendar

    folder, _ = built_campaign
    cal = icalendar.Calendar.from_ical((folder / "audio_out" / "schedule.ics").read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 4
    starts = sorted(e.decoded("DTSTART") for e in events)
    assert starts[0].isoformat().startswith("2023-07-01T05:30:00")
    assert str(starts[0].tzinfo) in ("Asia/Ho_Chi_Minh", "+07:00", "UTC+07:00") or starts[0].utcoffset().seconds == 7 * 3600
    assert any("Phú Lâm" in str(e.get("SUMMARY")) for e in events)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def test_pages_link_only_to_files_that_exist(built_campaign):
    folder, _ = built_campaign
    out = folder / "audio_out"
    pages = [out / "index.html", *sorted(out.glob("2023-*/index.html"))]
    assert len(pages) == 3
    seen_audio = 0
    for page in pages:
        parser = _Links()
        text = page.read_text(encoding="utf-8")
        assert 'lang="vi"' in text
        parser.feed(text)
        for link in parser.links:
            target = (page.parent / link).resolve()
            assert target.is_file(), (page, link)
            seen_audio += link.endswith(".mp3")
    assert seen_audio >= 8  # a player and a download link per session
    day = (out / "2023-07-01" / "index.html").read_text(encoding="utf-8")
    assert "Đài truyền thanh xã Phú Lâm" in day and "phút" in day and "Tải về" in day


def test_rebuild_with_nothing_changed_voices_and_encodes_nothing(campaign_copy):
    out = campaign_copy / "audio_out"
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.mp3")}
    report = build_small_campaign(campaign_copy / "schedule.yaml")
    assert (report.tts_calls, report.encodes, report.segments_made, report.programmes_written) == (0, 0, 0, 0)
    assert report.programmes_kept == 4
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.mp3")} == before


def test_editing_the_closing_template_revoices_only_the_closings(campaign_copy):
    old = manifest_of(campaign_copy)
    (campaign_copy / "templates").mkdir()
    (campaign_copy / "templates" / "base.j2").write_text(
        '{% extends "default/base.j2" %}\n{% block signoff %}Ban biên tập xin cảm ơn {{ self.addressee() }}.{% endblock %}\n',
        encoding="utf-8")
    report = build_small_campaign(campaign_copy / "schedule.yaml")
    new = manifest_of(campaign_copy)
    closings_old = {k for k, v in old["segments"].items() if v["kind"] == "closing"}
    closings_new = {k for k, v in new["segments"].items() if v["kind"] == "closing"}
    assert report.segments_made == len(closings_new) == 2  # general and elderly closings, nothing else
    assert closings_new.isdisjoint(closings_old)
    assert {k for k, v in new["segments"].items() if v["kind"] != "closing"} == \
        {k for k, v in old["segments"].items() if v["kind"] != "closing"}
    assert report.programmes_written == 4
    out = campaign_copy / "audio_out"
    for key in closings_old:  # the old closings are gone, listed by the old manifest
        assert not (out / old["segments"][key]["file"]).exists()


def test_a_station_dropped_from_the_plan_loses_its_files_and_nothing_else(campaign_copy):
    out = campaign_copy / "audio_out"
    (out / "ghi-chu.txt").write_text("tệp của người vận hành", encoding="utf-8")
    commune_files = [r["file"] for r in manifest_of(campaign_copy)["programmes"] if r["station"] == "tan-phu-phu-lam"]
    write_small_campaign(campaign_copy, with_commune=False)
    report = build_small_campaign(campaign_copy / "schedule.yaml")
    assert report.sessions == 2 and report.files_removed > 0
    for rel in commune_files:
        assert not (out / rel).exists()
    assert (out / "ghi-chu.txt").read_text(encoding="utf-8") == "tệp của người vận hành"
    assert all(r["station"] == "tan-phu" for r in manifest_of(campaign_copy)["programmes"])


def test_segments_mode_writes_shared_segments_and_playlists_only(campaign_copy):
    write_small_campaign(campaign_copy, publish="segments")
    report = build_small_campaign(campaign_copy / "schedule.yaml")
    out = campaign_copy / "audio_out"
    m = manifest_of(campaign_copy)
    assert report.tts_calls == 0 and report.encodes == 0
    assert all(r["file"] is None for r in m["programmes"])
    assert not list(out.glob("2023-*/*/*.mp3"))  # the old session MP3s were removed
    assert list(out.glob("2023-*/*/*.m3u8")) and list(out.glob("segments/*.mp3"))


def test_build_for_one_station_and_one_day(campaign_copy):
    report = build_small_campaign(campaign_copy / "schedule.yaml", stations=("tan-phu",),
                                  start=__import__("datetime").date(2023, 7, 2))
    assert report.sessions == 1 and report.programmes_kept == 1


def test_segment_specs_are_exactly_the_segments_a_build_makes(built_campaign):
    from broadcast.project import open_project
    from broadcast.publish import segment_specs
    from broadcast.segments import segment_path

    folder, _ = built_campaign
    out = folder / "audio_out"
    specs = segment_specs(open_project(folder / "schedule.yaml"))
    made = {Path(seg["file"]).name for seg in manifest_of(folder)["segments"].values()}
    assert {segment_path(out, spec.key).name for spec in specs} == made
    assert len(specs) == len(made), "each segment once"
