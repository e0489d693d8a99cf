"""Shared fixtures: named for what they give."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from broadcast.content import load_handbook
from broadcast.script import CampaignInfo, StationInfo, make_environment

# gTTS would go through a proxy even for loopback; tests never use one.
for _var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(_var, None)

TESTS = Path(__file__).parent
PROJECT_ROOT = TESTS.parent


@pytest.fixture(autouse=True)
def own_request_budget(tmp_path_factory, monkeypatch):
    """Each test its own gTTS request-budget folder, so no slowdown carries over between tests."""
    monkeypatch.setenv("BROADCAST_STATE_DIR", str(tmp_path_factory.mktemp("budget")))


@pytest.fixture(scope="session")
def handbook():
    return load_handbook()


@pytest.fixture(scope="session")
def default_env():
    return make_environment()


@pytest.fixture
def commune_station():
    return StationInfo(name="Đài truyền thanh xã Phú Lâm", level="commune", locality="xã Phú Lâm, huyện Tân Phú")


@pytest.fixture
def campaign():
    return CampaignInfo(
        name="Tháng hành động tuyên truyền về nhận diện và phòng chống lừa đảo trực tuyến",
        start=dt.date(2023, 7, 1), end=dt.date(2023, 7, 20), province="Đồng Nai",
        organizer="Sở Thông tin và Truyền thông tỉnh Đồng Nai",
    )


SMALL_CAMPAIGN = """\
campaign:
  name: "Tháng hành động tuyên truyền về nhận diện và phòng chống lừa đảo trực tuyến"
  province: "Đồng Nai"
  organizer: "Sở Thông tin và Truyền thông tỉnh Đồng Nai"
  start: 2023-07-01
  end: 2023-07-02
output: audio_out
publish: {publish}
voice: {{engine: espeak, region: south, tempo: 1.0, tempo_by_audience: {{elderly: 0.9}}}}
audio: {{bitrate_kbps: 48}}
levels:
  district:
    slots: [{{time: "05:30", max_minutes: 20}}]
    items_per_session: 1
  commune:
    slots: [{{time: "17:00", max_minutes: 15}}]
    items_per_session: 1
rotation: {{min_airings: 0, min_gap_days: 1, stagger: true}}
stations:
  - id: tan-phu
    name: "Đài Truyền thanh huyện Tân Phú"
    level: district
    locality: "huyện Tân Phú"
    audiences: {{general: 1}}
{extra_stations}"""

COMMUNE = """\
  - id: tan-phu-phu-lam
    name: "Đài truyền thanh xã Phú Lâm"
    level: commune
    district: tan-phu
    locality: "xã Phú Lâm, huyện Tân Phú"
    audiences: {elderly: 1}
"""


def write_small_campaign(folder: Path, publish: str = "full", with_commune: bool = True) -> Path:
    """A two-station, two-day campaign (4 sessions) voiced offline; returns its schedule.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "schedule.yaml"
    path.write_text(SMALL_CAMPAIGN.format(publish=publish, extra_stations=COMMUNE if with_commune else ""), encoding="utf-8")
    return path


def build_small_campaign(config: Path, **options):
    """Run the library build on a campaign folder; returns the BuildReport."""
    from broadcast.project import open_project
    from broadcast.publish import BuildOptions, build

    return build(open_project(config), BuildOptions(**options))


@pytest.fixture(scope="session")
def built_campaign(tmp_path_factory):
    """A small campaign built once (cold) for the whole session: (folder, first BuildReport). Do not modify."""
    folder = tmp_path_factory.mktemp("campaign")
    config = write_small_campaign(folder)
    return folder, build_small_campaign(config)


@pytest.fixture
def campaign_copy(built_campaign, tmp_path):
    """A private copy of the built campaign (output and cache) that a test may change and rebuild."""
    import shutil

    src, _ = built_campaign
    dst = tmp_path / "campaign"
    shutil.copytree(src, dst, symlinks=True)
    return dst
