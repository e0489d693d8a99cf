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
