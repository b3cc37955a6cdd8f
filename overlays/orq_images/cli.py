"""The `orq-images` command line: generate, vary, edit, serve a local router, run the demo.

Every failure a user can cause or meet (bad input, a missing key, an API
error, no connection) ends as one line on stderr and an exit code that tells
them apart; see EPILOG.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    DownloadError,
    InvalidRequestError,
    OrqError,
)
from ._version import __version__

PROG = "orq-images"
EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_CONNECTION = 4
EXIT_INTERRUPTED = 130

EPILOG = """\
environment:
  ORQ_API_KEY   your orq.ai API key (the commands that call the API)
  ORQ_BASE_URL  the API's address (default https://api.orq.ai); point it at
                `orq-images serve` to work offline

exit codes:
  0    success
  1    the API answered with an error, or with a response that is not the documented one
       (an image URL that is refused, not an image, or too large included)
  2    usage error (unknown command or option, bad option value)
  3    bad input or configuration: a value the API rules out, an unreadable
       image, no ORQ_API_KEY, an output directory that cannot be written
  4    the API could not be reached (connection refused, DNS, timeout)
  130  interrupted (Ctrl-C)
"""


class CommandError(Exception):
    """A failure to report as one line, with its exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CommandError(f"{message} (see `{self.prog} --help`)", EXIT_USAGE)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


@dataclass(frozen=True)
class ImageCommand:
    """A command that calls one operation of the API and saves the images it returns.

    Read from the operation's `x-cli` extension in the spec: `inputs` are its
    positional arguments, the operation's required fields (files first) but `model`;
    `--model` defaults to the model field's `example`.
    """

    name: str
    help: str
    operation: tuple[str, ...]  # the path of `orq.router.<...>.create`
    inputs: tuple[tuple[str, Callable[[str], Any], str], ...]
    model: str
    doing: str
    count: str  # the help text of -n, from the `n` field's range and default

    def stem(self, args: argparse.Namespace) -> str:
        """The start of the saved files' names: the input image's name, or the prompt."""
        from ._cli_commands import slug  # noqa: PLC0415 - keeps `--help` fast

        for name, kind, _ in self.inputs:
            if kind is Path:
                return f"{slug(getattr(args, name).stem)}-{self.name}"
        return slug(str(getattr(args, self.inputs[0][0])))


def _count_help(n_field: Mapping[str, Any]) -> str:
    low, high, default = (n_field.get(key) for key in ("minimum", "maximum", "default"))
    return f"how many images ({low}-{high}; the API's default: {default})"


def image_commands() -> tuple[ImageCommand, ...]:
    """One command per operation the spec gives an `x-cli` extension."""
    from ._spec import load_spec, operations  # noqa: PLC0415 - only commands that run need it

    spec = load_spec()
    commands = []
    for operation in operations().values():
        cli = spec["paths"][operation.path][operation.method.lower()].get("x-cli")
        if cli is None:
            continue
        schema = spec["components"]["schemas"][operation.request_schema]
        required = [name for name in schema["required"] if name != "model"]
        inputs = tuple(
            (name, Path, rule.describe())
            for name, rule in operation.files.items()
            if name in required
        ) + tuple(
            (name, str, cli.get("arguments", {}).get(name, name))
            for name in required
            if name not in operation.files
        )
        commands.append(
            ImageCommand(
                name=cli["command"],
                help=cli["help"],
                operation=tuple(operation.path.removeprefix("/v2/router/").split("/")),
                inputs=inputs,
                model=schema["properties"]["model"]["example"],
                doing=cli["doing"],
                count=_count_help(schema["properties"].get("n", {})),
            )
        )
    return tuple(commands)


def _image_command(commands: Any, command: ImageCommand) -> None:
    parser = commands.add_parser(command.name, help=command.help)
    for name, kind, text in command.inputs:
        parser.add_argument(name, type=kind, help=text)
    parser.add_argument("-n", type=_positive, help=command.count)
    parser.add_argument("--size", help="image size, such as 1024x1024")
    parser.add_argument(
        "--model", default=command.model, help=f"the model (default: {command.model})"
    )
    parser.add_argument(
        "--out", type=Path, default=Path(), help="directory for the images (default: .)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Create images with the orq.ai router, or try it all offline with a local one.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    for command in image_commands():
        _image_command(commands, command)

    serve = commands.add_parser("serve", help="run a local orq router (LocalRouter) until Ctrl-C")
    serve.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default: 8080)")
    serve.add_argument(
        "--fail-model",
        action="append",
        default=[],
        metavar="MODEL",
        help="make this model fail with 503, to try fallbacks (repeatable)",
    )
    serve.add_argument(
        "--latency", type=float, default=0.0, help="seconds each model call takes (default: 0)"
    )
    serve.add_argument(
        "--api-key",
        metavar="KEY",
        help="answer 401 to any request whose bearer token is not KEY (default: accept any)",
    )

    demo = commands.add_parser("demo", help="generate, vary and save images on a local router")
    demo.add_argument(
        "--out", type=Path, default=Path("orq-demo"), help="directory (default: ./orq-demo)"
    )
    return parser


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _api_key_required() -> None:
    if not os.environ.get("ORQ_API_KEY"):
        raise CommandError(
            "ORQ_API_KEY is not set: export your orq.ai API key "
            "(or try `orq-images demo`, which needs none)",
            EXIT_INPUT,
        )


def _run(args: argparse.Namespace) -> None:
    from . import _cli_commands  # noqa: PLC0415 - keeps `--help` and usage errors fast

    image_command = next((c for c in image_commands() if c.name == args.command), None)
    if image_command is not None:
        _api_key_required()
        fields = {name: getattr(args, name) for name, _, _ in image_command.inputs}
        fields |= {"n": args.n, "size": args.size, "model": args.model}
        paths = _cli_commands.create_images(
            image_command.operation,
            fields,
            out=args.out,
            stem=image_command.stem(args),
            doing=f"{image_command.doing} with {args.model}",
            stderr=sys.stderr,
        )
        for path in paths:
            print(path)
    elif args.command == "serve":
        _cli_commands.serve(
            args.port,
            failing_models=args.fail_model,
            latency=args.latency,
            api_key=args.api_key,
            stdout=sys.stdout,
        )
    else:
        from ._demo import run_demo  # noqa: PLC0415 - the demo loads the local router

        run_demo(args.out, sys.stdout)


# In order: the first kind that matches gives the exit code.
_EXIT_CODES: tuple[tuple[type[Exception] | tuple[type[Exception], ...], int], ...] = (
    (InvalidRequestError, EXIT_INPUT),
    (APIConnectionError, EXIT_CONNECTION),
    ((APIStatusError, APIResponseValidationError, DownloadError), EXIT_API),
    (OrqError, EXIT_INPUT),
)


def _failure(exc: Exception) -> CommandError | None:
    """The one-line report of an error a user can meet; None for a bug."""
    if isinstance(exc, CommandError):
        return exc
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return CommandError(f"{where}{exc.strerror or exc}", EXIT_INPUT)
    for kinds, code in _EXIT_CODES:
        if isinstance(exc, kinds):
            prefix = "the API answered: " if code == EXIT_API else ""
            return CommandError(f"{prefix}{exc}", code)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    try:
        args = build_parser().parse_args(argv)
        _run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except Exception as exc:
        failure = _failure(exc)
        if failure is None:
            raise
        print(f"{PROG}: error: {_one_line(str(failure))}", file=sys.stderr)
        return failure.code
    return EXIT_OK
