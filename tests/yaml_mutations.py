"""Line-level mutations of a YAML file for the hypothesis tests of bad schedule.yaml files."""

from __future__ import annotations

from typing import Sequence

from hypothesis import strategies as st

JUNK_LINES = ["\t", "  - ", ":", "---", "...", "%YAML 1.1", "key: value", "  extra: 1", "- id: x", "\x00", "\ufffe",
              "#", "&a", "? x"]


def mutate_lines(data: st.DataObject, base: Sequence[str], nasty: Sequence[str], max_edits: int = 4,
                 text_size: int = 20, bad_bytes_one_in: int = 10) -> bytes:
    """A few edits of `base` (lines with their newlines): nasty values, junk lines, deletions, duplicates,
    swaps, indents and a cut, then now and then bytes that are not UTF-8."""
    lines = list(base)
    for _ in range(data.draw(st.integers(1, max_edits), label="edits")):
        op = data.draw(st.sampled_from(["value", "value", "insert", "delete", "duplicate", "swap", "indent", "cut"]))
        i = data.draw(st.integers(0, len(lines) - 1))
        if op == "value" and ":" in lines[i]:
            key = lines[i].partition(":")[0]
            lines[i] = f"{key}: {data.draw(st.sampled_from(list(nasty)) | st.text(max_size=text_size))}\n"
        elif op == "insert":
            junk = data.draw(st.sampled_from(JUNK_LINES) | st.text(max_size=text_size + 10))
            lines.insert(i, " " * data.draw(st.integers(0, 6)) + junk + "\n")
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = " " * data.draw(st.integers(1, 4)) + lines[i]
        elif op == "cut":
            lines = lines[:i] + [lines[i][: data.draw(st.integers(0, len(lines[i])))]]
        lines = lines or [""]
    raw = "".join(lines).encode("utf-8")
    if data.draw(st.integers(0, bad_bytes_one_in - 1)) == 0:
        at = data.draw(st.integers(0, len(raw)))
        raw = raw[:at] + data.draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    return raw
