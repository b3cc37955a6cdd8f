"""`orq-images demo`: each file it saves is a valid PNG of the asked size; it says what happened."""

from __future__ import annotations

from pathlib import Path

import pytest

from orq_images import cli
from tests.router.pngcheck import read_png

EXPECTED = {
    "lighthouse.png": 512,
    "lighthouse-fallback.png": 512,
    "lighthouse-variation-1.png": 256,
    "lighthouse-variation-2.png": 256,
}


def test_demo_saves_valid_pngs_and_reports_the_routing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out)]) == 0
    report, err = capsys.readouterr()
    assert err == ""
    assert sorted(p.name for p in out.iterdir()) == sorted(EXPECTED)
    for name, side in EXPECTED.items():
        png = read_png((out / name).read_bytes())
        assert (png.width, png.height) == (side, side)
        assert f"{out / name}  {side}x{side} PNG" in report
    assert "cache miss" in report
    assert "the same request again (identical body)" in report
    assert "cache hit" in report
    assert "served by openai/dall-e-3, after 3 model calls" in report
    assert "POST /v2/router/images/variations" in report
    assert "upload lighthouse.png" in report
    assert "NOT a valid PNG" not in report


def test_demo_defaults_to_orq_demo_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo"]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in (tmp_path / "orq-demo").iterdir()) == sorted(EXPECTED)
