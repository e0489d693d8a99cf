"""The house MP3: format and tags as mutagen reads them, atomic export, and clean frame-level joins."""

from __future__ import annotations

import os

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode
from test_audio_support import largest_step, quiet, quiet_runs, speech_pieces, tone

from broadcast.audio import (AudioSettings, Tags, build_speech, decode_mp3, export_mp3, join_mp3, master,
                             measure, mp3_info, read_tags)
from broadcast.audio import mp3 as mp3_module
from broadcast.audio.ffmpeg import run_ffmpeg
from broadcast.errors import AudioError, DiskFullError

SETTINGS = AudioSettings()
TAGS = Tags(
    title="Lừa đảo qua cuộc gọi mạo danh công an", station="Đài truyền thanh xã Phú Lâm",
    campaign="Tháng hành động phòng chống lừa đảo trực tuyến — Đồng Nai", date="2023-07-01",
    items=("mao-danh-cong-an", "dau-tu-tien-ao"), engine="espeak", comment="Phát lúc 05:30; nghe kỹ nhé",
)


@pytest.fixture(scope="module")
def speech_segments():
    """Two mastered speech segments, as the tts + audio stages would make them."""
    pieces = speech_pieces()
    return [master(build_speech([list(pieces[i:i + 2])], SETTINGS), SETTINGS) for i in (0, 2)]


@pytest.fixture(scope="module")
def parts(tmp_path_factory, speech_segments):
    folder = tmp_path_factory.mktemp("parts")
    paths = []
    for index, audio in enumerate([*speech_segments, speech_segments[0]]):
        paths.append(folder / f"part{index}.mp3")
        export_mp3(audio, paths[-1], Tags(title=f"Phần {index}"), SETTINGS)
    return paths


def test_export_is_cbr_mono_44k_at_the_configured_bitrate(tmp_path, speech_segments):
    for kbps in (64, 48):
        path = tmp_path / f"x{kbps}.mp3"
        export_mp3(speech_segments[0], path, TAGS, AudioSettings(bitrate_kbps=kbps))
        info = MP3(path).info
        assert (info.sample_rate, info.channels) == (44100, 1)
        assert info.bitrate == pytest.approx(kbps * 1000, rel=0.001)
        assert info.bitrate_mode == BitrateMode.CBR
        assert info.version == 1 and info.layer == 3


def test_vietnamese_tags_read_back_intact_as_id3v2_3(tmp_path, speech_segments):
    path = tmp_path / "tagged.mp3"
    export_mp3(speech_segments[0], path, TAGS, SETTINGS)
    assert read_tags(path) == TAGS
    raw = ID3(path, translate=False)
    assert raw.version[:2] == (2, 3)
    assert str(raw["TIT2"]) == TAGS.title and str(raw["TPE1"]) == TAGS.station
    assert str(raw["TYER"]) == "2023" and str(raw["TDAT"]) == "0107"
    assert str(raw["TXXX:engine"]) == "espeak"


def test_decomposed_vietnamese_is_stored_as_nfc(tmp_path, speech_segments):
    path = tmp_path / "nfd.mp3"
    export_mp3(speech_segments[0], path, Tags(title="Lu\u031bu y\u0301"), SETTINGS)
    assert read_tags(path).title == "Lưu ý"


@pytest.mark.parametrize("errno_, expected", [(28, DiskFullError), (13, AudioError)])  # ENOSPC stops a build
def test_failed_export_leaves_no_file_and_no_temp(tmp_path, speech_segments, monkeypatch, errno_, expected):
    target = tmp_path / "out.mp3"

    def refuse(_src, _dst):
        raise OSError(errno_, os.strerror(errno_))

    monkeypatch.setattr(mp3_module.os, "replace", refuse)
    with pytest.raises(expected, match="out.mp3"):
        export_mp3(speech_segments[0], target, TAGS, SETTINGS)
    assert os.listdir(tmp_path) == []


def test_encoder_failure_leaves_the_old_file_untouched(tmp_path, speech_segments, monkeypatch):
    target = tmp_path / "out.mp3"
    target.write_bytes(b"old")

    def broken(args, data=None, what="ffmpeg"):
        open(args[-1], "wb").write(b"\xff\xfb half an mp3")  # a partial temp file, then the failure
        raise AudioError(f"{what}: ffmpeg failed (1)")

    monkeypatch.setattr(mp3_module, "run_ffmpeg", broken)
    with pytest.raises(AudioError):
        export_mp3(speech_segments[0], target, TAGS, SETTINGS)
    assert os.listdir(tmp_path) == ["out.mp3"] and target.read_bytes() == b"old"


def test_exported_frames_hold_the_audio_sample_for_sample(tmp_path):
    # A click at a known sample must come back at the same sample once the frames are decoded raw.
    audio = quiet(300) + tone(1000, 2, -3.0) + quiet(700)
    click = audio.get_array_of_samples().index(audio.max)
    path = tmp_path / "click.mp3"
    export_mp3(audio, path, Tags(title="x"), SETTINGS)
    joined = tmp_path / "joined.mp3"  # a one-part join: the frames alone, no Info frame
    join_mp3([path], joined, Tags(title="x"))
    decoded = decode_mp3(joined)
    samples = decoded.get_array_of_samples()
    assert abs(samples.index(max(samples)) - click) <= 2
    assert mp3_info(path).duration_s == pytest.approx(decoded.duration_seconds, abs=1e-6)


def test_mp3_info_reads_frames(parts):
    info = mp3_info(parts[0])
    assert (info.sample_rate, info.channels, info.bitrate_kbps) == (44100, 1, 64)
    assert info.duration_s == pytest.approx(info.frames * 1152 / 44100)
    assert info.duration_s == pytest.approx(MP3(parts[0]).info.length, abs=0.001)


def test_joined_programme_is_the_sum_of_its_parts_with_one_tag(tmp_path, parts):
    out = tmp_path / "programme.mp3"
    seconds = join_mp3(parts, out, TAGS)
    expected = sum(mp3_info(p).duration_s for p in parts)
    assert seconds == pytest.approx(expected, abs=1e-9)
    decoded = decode_mp3(out)
    assert decoded.duration_seconds == pytest.approx(expected, abs=0.003)
    assert read_tags(out) == TAGS
    assert out.read_bytes().count(b"ID3") == 1 and b"Info" not in out.read_bytes()[:8192]
    got = measure(out)
    assert got.integrated_lufs == pytest.approx(SETTINGS.loudness_lufs, abs=1.0)
    assert got.true_peak_dbtp <= -1.0


def _frames_alone(part, tmp_path):
    """A part's frames decoded raw, as they sound inside a programme (no gapless trimming)."""
    alone = tmp_path / f"alone-{part.name}"
    join_mp3([part], alone, Tags(title="x"))
    return decode_mp3(alone)


def _edges(runs):
    return runs[0][1] - runs[0][0], runs[-1][1] - runs[-1][0]


def test_joins_add_no_gap_and_no_click(tmp_path, parts, speech_segments):
    out = tmp_path / "programme.mp3"
    join_mp3(parts, out, TAGS)
    decoded = decode_mp3(out)
    runs = quiet_runs(decoded)
    given = [_edges(quiet_runs(audio)) for audio in [*speech_segments, speech_segments[0]]]
    framed = [_edges(quiet_runs(_frames_alone(part, tmp_path))) for part in parts]
    frame_s = 1152 / 44100
    at = 0.0
    for index in range(len(parts) - 1):
        at += mp3_info(parts[index]).duration_s
        start, end = next(r for r in runs if r[0] < at < r[1])
        # The pause at a join is the left part's tail plus the right part's lead: as framed, exactly...
        assert end - start == pytest.approx(framed[index][1] + framed[index + 1][0], abs=0.005), f"join at {at:.3f}"
        # ...and as given to export_mp3, less at most the part of a frame a quiet tail was rounded down by.
        own = given[index][1] + given[index + 1][0]
        assert own - frame_s - 0.002 <= end - start <= own + 0.005, f"join at {at:.3f} s"
        assert largest_step(decoded, at - 0.05, at + 0.05) < 100  # silence stays silence: no click


def test_parts_with_other_encoders_tags_and_info_frames_join_cleanly(tmp_path):
    raw = (quiet(300) + tone(440, 1000, -10.0) + quiet(300))
    foreign = tmp_path / "foreign.mp3"
    run_ffmpeg(["-f", "s16le", "-ar", "44100", "-ac", "1", "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "64k",
                "-metadata", "title=Nhạc hiệu", "-id3v2_version", "4", "-write_id3v1", "1", str(foreign)],
               raw.raw_data)
    frames = mp3_info(foreign).frames
    out = tmp_path / "out.mp3"
    assert join_mp3([foreign, foreign], out, Tags(title="x")) == pytest.approx(2 * frames * 1152 / 44100)
    assert mp3_info(out).frames == 2 * frames
    assert out.read_bytes().count(b"TAG") == 0


def test_join_refuses_a_part_with_another_bitrate(tmp_path, speech_segments, parts):
    odd = tmp_path / "odd-96k.mp3"
    export_mp3(speech_segments[1], odd, Tags(title="x"), AudioSettings(bitrate_kbps=96))
    out = tmp_path / "programme.mp3"
    with pytest.raises(AudioError, match="odd-96k.mp3.*bitrate"):
        join_mp3([parts[0], odd, parts[1]], out, TAGS)
    assert not out.exists() and os.listdir(tmp_path) == ["odd-96k.mp3"]


def test_join_refuses_a_broken_part(tmp_path, parts):
    broken = tmp_path / "broken.mp3"
    data = parts[1].read_bytes()
    broken.write_bytes(data[: len(data) // 2] + b"\0" * 500 + data[len(data) // 2:])
    with pytest.raises(AudioError, match="broken.mp3"):
        join_mp3([parts[0], broken], tmp_path / "out.mp3", TAGS)


def test_decode_mp3_takes_bytes_or_a_path(parts):
    from_path = decode_mp3(parts[0])
    from_bytes = decode_mp3(parts[0].read_bytes())
    # Read from a pipe, ffmpeg cannot drop the encoder's end padding (under one frame); the rest is equal.
    assert from_bytes.raw_data.startswith(from_path.raw_data)
    assert 0 <= from_bytes.frame_count() - from_path.frame_count() < 1152
    assert (from_path.frame_rate, from_path.channels) == (44100, 1)
    with pytest.raises(AudioError):
        decode_mp3(b"")
