"""Mastering and measurement: loudness targets and true peak, checked on the published (decoded) MP3s."""

from __future__ import annotations

import logging

import pytest
from test_audio_support import dominant_hz, quiet, speech_pieces, tone

from broadcast.audio import (AudioSettings, Loudness, Tags, build_speech, build_speech_measured, chime, chime_sound,
                             loudness, master, master_mp3, measure)
from broadcast.audio import mastering
from broadcast.errors import AudioError

TOLERANCE_LU = 0.5


def _speech(gain_db: float = 0.0):
    return build_speech([list(speech_pieces()[:2]), list(speech_pieces()[2:])], AudioSettings()).apply_gain(gain_db)


def assert_on_target(path, settings: AudioSettings) -> None:
    """The file as published, decoded and metered (ebur128, true peak): within 0.5 LU and under the ceiling."""
    got = measure(path)
    assert got.integrated_lufs == pytest.approx(settings.loudness_lufs, abs=TOLERANCE_LU), got
    assert got.true_peak_dbtp <= settings.true_peak_dbtp, got


@pytest.fixture
def encodes(monkeypatch):
    """Every encoding run mastering makes, through the real encoder: a list of the gains used."""
    calls: list[float] = []
    real = mastering.encode_into

    def counted(*args, **kwargs):
        calls.append(kwargs["gain_db"])
        return real(*args, **kwargs)

    monkeypatch.setattr(mastering, "encode_into", counted)
    return calls


@pytest.mark.parametrize(("target", "gain_db"), [(-16.0, 0.0), (-16.0, -20.0), (-23.0, 0.0)])
def test_published_speech_meets_loudness_target_and_true_peak(tmp_path, target, gain_db):
    settings = AudioSettings(loudness_lufs=target)
    path = tmp_path / "speech.mp3"
    result = master_mp3(_speech(gain_db), path, Tags(title="Cảnh giác lừa đảo"), settings)
    assert_on_target(path, settings)
    got = measure(path)
    assert result.on_target
    # What it metered is the file (ffmpeg, the reference meter here, prints tenths of a LU).
    assert result.integrated_lufs == pytest.approx(got.integrated_lufs, abs=0.1)
    edge = settings.edge_pause_ms / 1000
    assert got.leading_silence_s <= edge + 0.05
    assert got.trailing_silence_s <= edge + 0.05


def test_hot_peaky_input_is_limited_not_clipped(tmp_path):
    # A loud tone with sharp bursts: reaching -16 LUFS needs the limiter, and the MP3 must stay under the ceiling.
    bursts = sum((tone(1000, 40, -0.1) + tone(1000, 460, -24.0) for _ in range(8)), quiet(250))
    settings = AudioSettings()
    path = tmp_path / "bursts.mp3"
    master_mp3(bursts + quiet(250), path, Tags(title="x"), settings)
    assert_on_target(path, settings)


TEXTS = (
    "Thời gian gần đây, lừa đảo qua mạng diễn biến phức tạp. Không chuyển tiền cho người lạ, không đọc mã OTP "
    "cho ai. Hãy báo ngay cho công an xã nơi gần nhất.",
    "Kẻ gian giả danh cán bộ ngân hàng, gọi điện báo tài khoản của bà con bị khóa, rồi gửi đường link lạ để "
    "lấy mật khẩu. Ngân hàng không bao giờ yêu cầu khách hàng cung cấp mật khẩu qua điện thoại.",
    "Đài truyền thanh xã xin thông báo. Trong tháng bảy, công an tỉnh sẽ về từng ấp hướng dẫn cách nhận biết "
    "tin nhắn giả mạo. Mời bà con đến nhà văn hóa lúc bảy giờ tối thứ năm.",
)


@pytest.mark.parametrize(("region", "text", "kbps", "tempo"), [
    ("south", 0, 48, 1.0), ("north", 1, 48, 1.0), ("central", 2, 64, 1.0), ("south", 1, 64, 0.9),
    ("north", 2, 32, 1.0),
])
def test_espeak_speech_is_published_on_target(tmp_path, region, text, kbps, tempo):
    from broadcast.speech import split_for_voice
    from broadcast.tts import VoiceSettings, open_engine

    engine = open_engine(VoiceSettings(engine="espeak", region=region))
    settings = AudioSettings(bitrate_kbps=kbps, tempo=tempo)
    pieces = [engine.synthesize(p).audio for p in split_for_voice(TEXTS[text] * 2)]
    speech, measured = build_speech_measured([pieces[:3], pieces[3:]], settings)
    path = tmp_path / "speech.mp3"
    result = master_mp3(speech, path, Tags(title="x"), settings, source=measured)
    assert_on_target(path, settings)
    assert result.on_target and result.passes <= 2


def test_loudness_measured_while_resampling_matches_a_separate_measure():
    speech, measured = build_speech_measured([list(speech_pieces())], AudioSettings())
    assert measured is not None  # espeak's 22,050 Hz needs resampling, and the meter rides along
    again = loudness(speech)
    assert measured.integrated_lufs == pytest.approx(again.integrated_lufs, abs=0.15)
    assert measured.peak_db == pytest.approx(again.peak_db, abs=0.15)


@pytest.mark.parametrize("sound", ["tone", "speech"])
def test_a_correction_is_made_only_when_the_first_pass_is_off_target(tmp_path, encodes, sound):
    # What the first pass gives is found apart, through the same encoder and meter, then compared with
    # how many encodes master_mp3 made: one exactly when that first pass was on target.
    from broadcast.audio.meter import mp3_loudness, pcm_loudness
    from broadcast.audio.mp3 import encode_into

    settings = AudioSettings()
    audio = quiet(300) + tone(440, 3000, -20.0) + quiet(300) if sound == "tone" else _speech()
    source = pcm_loudness(audio)
    ceiling = settings.true_peak_dbtp - mastering.CODEC_MARGIN_DB
    gain = mastering.gain_for(source, settings.loudness_lufs, ceiling)
    encode_into(tmp_path / "first.mp3", audio, Tags(title="x"), settings,
                filters=mastering.limiter_graph(gain, ceiling), gain_db=gain, lowpass_hz=mastering.LOWPASS_HZ)
    first = mp3_loudness(tmp_path / "first.mp3")
    first_on_target = (abs(first.integrated_lufs - settings.loudness_lufs) <= TOLERANCE_LU
                       and first.peak_db <= settings.true_peak_dbtp)
    if sound == "tone":
        assert first_on_target  # under the ceiling the limiter is idle and the gain is exact
    encodes.clear()
    result = master_mp3(audio, tmp_path / "a.mp3", Tags(title="x"), settings)
    assert (len(encodes) == 1) == first_on_target and result.passes == len(encodes)
    assert encodes[0] == pytest.approx(gain)
    assert_on_target(tmp_path / "a.mp3", settings)


def test_a_first_pass_off_target_is_corrected_from_what_the_mp3_measured(tmp_path, encodes):
    # Told the audio is 4 LU louder than it is, the first gain falls short; the meter on the MP3 sees it.
    settings = AudioSettings()
    speech = _speech()
    real = loudness(speech)
    wrong = Loudness(real.integrated_lufs + 4.0, real.peak_db)
    result = master_mp3(speech, tmp_path / "a.mp3", Tags(title="x"), settings, source=wrong)
    assert 2 <= result.passes <= 1 + mastering.MAX_CORRECTIONS and len(encodes) == result.passes
    assert encodes[1] > encodes[0] + 2  # the correction raised the gain
    assert_on_target(tmp_path / "a.mp3", settings)


def test_a_true_peak_over_the_ceiling_lowers_the_limiter_and_encodes_again(tmp_path, encodes, monkeypatch):
    # With no margin for the codec, the encoder's overshoot takes the MP3 over -1.5 dBTP on the first pass.
    monkeypatch.setattr(mastering, "CODEC_MARGIN_DB", 0.0)
    settings = AudioSettings(bitrate_kbps=48)
    result = master_mp3(_speech(), tmp_path / "a.mp3", Tags(title="x"), settings)
    assert result.passes >= 2 and len(encodes) == result.passes
    assert result.ceiling_dbtp < settings.true_peak_dbtp
    assert_on_target(tmp_path / "a.mp3", settings)


def test_off_target_after_every_correction_publishes_the_best_pass_and_warns(tmp_path, encodes, monkeypatch, caplog):
    monkeypatch.setattr(mastering, "MAX_CORRECTIONS", 0)
    settings = AudioSettings()
    speech = _speech()
    real = loudness(speech)
    with caplog.at_level(logging.WARNING, logger="broadcast.audio.mastering"):
        result = master_mp3(speech, tmp_path / "a.mp3", Tags(title="x"), settings,
                            source=Loudness(real.integrated_lufs + 4.0, real.peak_db))
    assert not result.on_target and len(encodes) == 1
    assert any("best of 1 pass(es)" in r.getMessage() for r in caplog.records)
    assert measure(tmp_path / "a.mp3").integrated_lufs == pytest.approx(result.integrated_lufs, abs=0.1)


def test_silence_is_published_without_gain_and_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="broadcast.audio.mastering"):
        result = master_mp3(quiet(2000), tmp_path / "s.mp3", Tags(title="x"), AudioSettings())
    assert result.gain_db == 0.0 and result.passes == 1
    assert any("too quiet" in r.getMessage() for r in caplog.records)


def test_pcm_mastering_levels_speech_for_joining_before_an_encode():
    settings = AudioSettings()
    got = measure(master(_speech(-10.0), settings))
    assert got.integrated_lufs == pytest.approx(settings.loudness_lufs, abs=1.0)
    assert got.true_peak_dbtp <= settings.true_peak_dbtp


def test_measure_reports_duration_loudness_and_edge_silence():
    audio = quiet(300) + tone(997, 5000, -20.0) + quiet(500)
    got = measure(audio)
    assert got.duration_s == pytest.approx(5.8, abs=0.001)
    assert got.leading_silence_s == pytest.approx(0.3, abs=0.01)
    assert got.trailing_silence_s == pytest.approx(0.5, abs=0.01)
    assert got.true_peak_dbtp == pytest.approx(-20.0, abs=0.2)
    # A full-scale 997 Hz sine reads -3.01 LUFS; gating drops most of the silence.
    assert got.integrated_lufs == pytest.approx(-23.0, abs=0.4)


def test_measure_of_a_missing_file_is_an_audio_error(tmp_path):
    with pytest.raises(AudioError):
        measure(tmp_path / "none.mp3")


def test_generated_chime_is_a_short_ident_published_on_target(tmp_path):
    settings = AudioSettings()
    sound = chime_sound(settings)
    assert 1.8 <= len(sound) / 1000 - 2 * settings.edge_pause_ms / 1000 <= 3.0
    master_mp3(sound, tmp_path / "chime.mp3", Tags(title="chime"), settings)
    assert_on_target(tmp_path / "chime.mp3", settings)
    got = measure(chime(settings))  # the PCM ident that `say` joins to its speech
    assert got.integrated_lufs == pytest.approx(settings.loudness_lufs, abs=1.0)
    assert got.true_peak_dbtp <= settings.true_peak_dbtp
    assert got.leading_silence_s <= settings.edge_pause_ms / 1000 + 0.05


def test_a_station_s_own_chime_file_is_used(tmp_path):
    own = tmp_path / "jingle.wav"
    (quiet(700) + tone(1200, 1500, -12.0).fade_out(300) + quiet(900)).export(own, format="wav")
    settings = AudioSettings(chime=own, loudness_lufs=-23.0)
    ident = chime(settings)
    got = measure(ident)
    assert dominant_hz(ident) == pytest.approx(1200, rel=0.01)
    assert got.integrated_lufs == pytest.approx(-23.0, abs=1.0)
    assert got.leading_silence_s <= settings.edge_pause_ms / 1000 + 0.05
    assert got.trailing_silence_s <= settings.edge_pause_ms / 1000 + 0.35  # the fade-out's quiet tail


def test_an_unreadable_chime_file_is_an_audio_error(tmp_path):
    bad = tmp_path / "jingle.mp3"
    bad.write_bytes(b"not audio at all" * 10)
    with pytest.raises(AudioError, match="jingle.mp3"):
        chime(AudioSettings(chime=bad))
