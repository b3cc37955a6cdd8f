"""generate and variation, run in-process through main(): files, output, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from orq_images import cli
from orq_images._cli_commands import slug
from orq_images.testing import LocalRouter
from tests.cli.conftest import FakeTerminal
from tests.router.pngcheck import encode_png, read_png
from tests.support.server import LoopbackServer, Reply


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_generate_saves_the_images_and_prints_their_paths(
    router: LocalRouter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys,
        "generate",
        "A red fox, at dawn!",
        "-n",
        "2",
        "--size",
        "64x48",
        "--out",
        str(tmp_path),
    )
    assert (code, err) == (0, [])
    assert out == [
        str(tmp_path / "a-red-fox-at-dawn-1.png"),
        str(tmp_path / "a-red-fox-at-dawn-2.png"),
    ]
    for line in out:
        png = read_png(Path(line).read_bytes())
        assert (png.width, png.height) == (64, 48)
    sent = router.requests[0]
    assert sent.body == {
        "prompt": "A red fox, at dawn!",
        "model": "openai/gpt-image-1",
        "n": 2,
        "size": "64x48",
    }


def test_generate_leaves_unset_options_to_the_api(
    router: LocalRouter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "generate", "fox", "--out", str(tmp_path))
    assert code == 0
    assert router.requests[0].body == {"prompt": "fox", "model": "openai/gpt-image-1"}
    assert read_png(Path(out[0]).read_bytes()).width == 1024


def test_existing_files_are_not_overwritten(
    router: LocalRouter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("generate", "fox", "--size", "8x8", "--out", str(tmp_path))
    first = _run(capsys, *args)[1]
    second = _run(capsys, *args)[1]
    assert first == [str(tmp_path / "fox-1.png")]
    assert second == [str(tmp_path / "fox-1-2.png")]


def test_edit_uploads_the_file_with_its_prompt(
    router: LocalRouter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (source,) = _run(capsys, "generate", "fox", "--size", "32x32", "--out", str(tmp_path))[1]
    code, out, err = _run(
        capsys, "edit", source, "add a hat", "--size", "64x64", "--out", str(tmp_path / "e")
    )
    assert (code, err) == (0, [])
    assert out == [str(tmp_path / "e" / "fox-1-edit-1.png")]
    assert read_png(Path(out[0]).read_bytes()).width == 64
    upload = [r for r in router.requests if r.method == "POST"][-1]
    assert upload.path == "/v2/router/images/edits"
    assert upload.file is not None
    assert upload.body == {"model": "openai/gpt-image-1", "prompt": "add a hat", "size": "64x64"}


def test_variation_uploads_the_file(
    router: LocalRouter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (source,) = _run(capsys, "generate", "fox", "--size", "32x32", "--out", str(tmp_path))[1]
    code, out, err = _run(
        capsys,
        "variation",
        source,
        "-n",
        "3",
        "--size",
        "256x256",
        "--model",
        "m",
        "--out",
        str(tmp_path / "v"),
    )
    assert (code, err) == (0, [])
    assert out == [str(tmp_path / "v" / f"fox-1-variation-{i}.png") for i in (1, 2, 3)]
    assert {read_png(Path(p).read_bytes()).width for p in out} == {256}
    upload = [r for r in router.requests if r.method == "POST"][-1]
    assert upload.file is not None
    assert upload.file.filename == "fox-1.png"
    assert upload.body == {"model": "m", "n": 3, "size": "256x256"}


def test_the_api_key_is_required(
    router: LocalRouter, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORQ_API_KEY")
    code, out, err = _run(capsys, "generate", "fox")
    assert code == cli.EXIT_INPUT
    assert out == []
    assert err == [
        "orq-images: error: ORQ_API_KEY is not set: export your orq.ai API key "
        "(or try `orq-images demo`, which needs none)"
    ]
    assert router.requests == []


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["variation", "missing.png"], "image: no such file: missing.png"),
        (["variation", "{png}", "--size", "300x300"], "size: '300x300' is not one of"),
        (["generate", "fox", "-n", "11"], "n: 11 is above the maximum 10"),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_sent(
    router: LocalRouter,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    needle: str,
) -> None:
    png = tmp_path / "in.png"
    png.write_bytes(encode_png(2, 2, 2, [bytes(6)] * 2, [0, 0]))
    code, out, err = _run(capsys, *[a.format(png=png) for a in argv])
    assert code == cli.EXIT_INPUT
    assert out == []
    assert len(err) == 1
    assert err[0].startswith("orq-images: error: ")
    assert needle in err[0]
    assert router.requests == []


def test_an_api_error_is_one_line_with_exit_code_1(
    router: LocalRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    router.queue_fault(status=400, body={"message": "Your prompt was\nrejected", "code": "policy"})
    code, out, err = _run(capsys, "generate", "fox")
    assert code == cli.EXIT_API
    assert out == []
    assert len(err) == 1
    assert "the API answered: Error code: 400 - Your prompt was rejected" in err[0]
    assert "req_" in err[0]


def test_a_refused_image_url_is_exit_code_1(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server.queue(Reply(200, {"created": 1, "data": [{"url": "http://169.254.169.254/x.png"}]}))
    monkeypatch.setenv("ORQ_BASE_URL", server.url)
    code, out, err = _run(capsys, "generate", "fox")
    assert out == []
    assert code == cli.EXIT_API
    assert len(err) == 1
    assert "link-local or cloud-metadata" in err[0]


def test_an_unreachable_api_is_exit_code_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalRouter() as gone:
        url = gone.url
    monkeypatch.setenv("ORQ_BASE_URL", url)
    code, out, err = _run(capsys, "generate", "fox")
    assert code == cli.EXIT_CONNECTION
    assert out == []
    assert len(err) == 1
    assert "ConnectError" in err[0]


def test_an_unwritable_output_directory_is_bad_input(
    router: LocalRouter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = _run(capsys, "generate", "fox", "--size", "8x8", "--out", str(blocker / "x"))
    assert code == cli.EXIT_INPUT
    assert len(err) == 1
    assert str(blocker / "x") in err[0]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["paint"], "invalid choice: 'paint'"),
        (["generate"], "required: prompt (see `orq-images generate --help`)"),
        (["generate", "fox", "-n", "two"], "argument -n: 'two' is not a whole number"),
        (["generate", "fox", "-n", "0"], "argument -n: 0 is not 1 or more"),
        (["serve", "--port", "http"], "argument --port: invalid int value"),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == cli.EXIT_USAGE
    assert out == []
    assert len(err) == 1
    assert err[0].startswith("orq-images: error: ")
    assert needle in err[0]


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    text = "\n".join(out)
    for line in ("0    success", "2    usage error", "3    bad input", "4    the API could not"):
        assert line in text
    assert "ORQ_API_KEY" in text


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--version")
    assert code == 0
    assert out[0].startswith("orq-images 0.")


def test_ctrl_c_is_exit_code_130(
    router: LocalRouter, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object, **kwargs: object) -> list[Path]:
        raise KeyboardInterrupt

    monkeypatch.setattr("orq_images._cli_commands.create_images", interrupted)
    code, out, err = _run(capsys, "generate", "fox")
    assert (code, out, err) == (cli.EXIT_INTERRUPTED, [], ["orq-images: interrupted"])


def test_the_spinner_shows_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalRouter(latency=0.35) as slow:
        monkeypatch.setenv("ORQ_BASE_URL", slow.url)
        args = ["generate", "fox", "--size", "8x8", "--out", str(tmp_path)]
        assert cli.main(args) == 0
        assert capsys.readouterr().err == ""
        terminal = FakeTerminal()
        monkeypatch.setattr("sys.stderr", terminal)
        assert cli.main(args) == 0
    shown = terminal.getvalue()
    assert "\r| generating with openai/gpt-image-1 0.0s" in shown
    assert "s\r" in shown  # redrawn while waiting
    assert shown.endswith("\r\x1b[K")  # and wiped before the paths are printed


@pytest.mark.parametrize(
    ("text", "stem"),
    [("A red fox, at dawn!", "a-red-fox-at-dawn"), ("!!!", "image"), ("x" * 60, "x" * 40)],
)
def test_file_names_come_from_the_prompt(text: str, stem: str) -> None:
    assert slug(text) == stem
