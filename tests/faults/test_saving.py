"""save() takes any name the file system does, and its errors name the path given."""

from __future__ import annotations

import base64
import errno
import os
from pathlib import Path

import pytest

from orq_images import Orq, OrqError, SaveError
from tests.conftest import PNG_1X1
from tests.support.server import LoopbackServer, Reply

PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}
NAME_MAX = os.pathconf("/", "PC_NAME_MAX") if hasattr(os, "pathconf") else 255


def _image(server: LoopbackServer, orq: Orq, inline: bool) -> object:
    item = (
        {"b64_json": base64.b64encode(PNG_1X1).decode()}
        if inline
        else {"url": server.url + "/files/a.png"}
    )
    server.queue(Reply(200, {"created": 1, "data": [item]}))
    image = orq.router.images.generations.create(**PARAMS).data[0]
    server.default = Reply(200, PNG_1X1, {"Content-Type": "image/png"})
    return image


@pytest.mark.parametrize("inline", [True, False], ids=["b64_json", "url"])
@pytest.mark.parametrize("length", [240, 250, NAME_MAX])
def test_a_name_up_to_the_file_systems_limit_saves(
    server: LoopbackServer, tmp_path: Path, inline: bool, length: int
) -> None:
    target = tmp_path / ("n" * (length - 4) + ".png")
    with Orq(server_url=server.url) as orq:
        _image(server, orq, inline).save(target)  # type: ignore[attr-defined]
    assert target.read_bytes() == PNG_1X1
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


@pytest.mark.parametrize("inline", [True, False], ids=["b64_json", "url"])
def test_a_save_that_cannot_be_written_names_the_path_given(
    server: LoopbackServer, tmp_path: Path, inline: bool
) -> None:
    cases = {
        tmp_path / "missing" / "a.png": errno.ENOENT,
        tmp_path / ("n" * (NAME_MAX + 1)): errno.ENAMETOOLONG,
    }
    (tmp_path / "a directory.png").mkdir()
    cases[tmp_path / "a directory.png"] = errno.EISDIR
    with Orq(server_url=server.url) as orq:
        for target, code in cases.items():
            image = _image(server, orq, inline)
            with pytest.raises(SaveError) as caught:
                image.save(target)  # type: ignore[attr-defined]
            assert isinstance(caught.value, OrqError | OSError)
            assert caught.value.errno == code
            assert str(target) in str(caught.value)
            assert ".part" not in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a directory.png"]
