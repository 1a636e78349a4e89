"""`yolotrack` entry point: parse arguments, load the config, run one subcommand.

User mistakes (`YolotrackError`) become one line `yolotrack: error: ...` and exit 2 (usage or
config) or 1 (runtime). Tracebacks only with `--verbose`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from yolotrack.core.errors import UsageError, YolotrackError

# subcommand -> (module in commands/, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("yolotrack.commands.gui", "desktop window for live cameras, streams and files"),
    "run": ("yolotrack.commands.run", "headless tracking (RTSP cameras, files) writing JSON Lines"),
    "export": ("yolotrack.commands.export", "annotate a recorded video: MP4 + MOT + CVAT + COCO + JSONL"),
    "info": ("yolotrack.commands.info", "versions, device, and what runtime and attention `auto` pick"),
    "convert": ("yolotrack.commands.convert", "convert a checkpoint to yolotrack's safetensors format"),
    "eval": ("yolotrack.commands.eval", "score MOT Challenge tracks against ground truth"),
    "track": ("yolotrack.commands.track", "track a MOT Challenge detection file (public detections) into MOT tracks"),
    "synth": ("yolotrack.commands.synth", "generate synthetic scenes: videos, MOT ground truth, YOLO dataset"),
    "train": ("yolotrack.commands.train", "train YOLOv12 on a YOLO-format dataset"),
}

DESCRIPTION = "Real-time YOLOv12 detection and tracking for webcams, RTSP cameras and video files."
EPILOG = """examples:
  yolotrack export demo --out runs/demo      track the bundled demo clip, write video + MOT + CVAT + COCO + JSONL
  yolotrack gui --source 0                   live window on webcam 0
  yolotrack run --source rtsp://cam/stream   headless service writing JSON Lines
  yolotrack COMMAND --help                   the options of one command

Every config key can be overridden as section.key=value; all keys are documented in configs/default.yaml."""

log = logging.getLogger("yolotrack")


class _Help(argparse.RawDescriptionHelpFormatter):
    """Shows each option's real default, except where the help already names it or there is none."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (default is None or isinstance(default, bool) or default is argparse.SUPPRESS or "default" in text
                or not action.option_strings or isinstance(action, argparse._CountAction)):
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so every usage error takes the same path."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="yolotrack", description=DESCRIPTION, epilog=EPILOG, formatter_class=_Help)
    parser.add_argument("-V", "--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, title="commands")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, formatter_class=_Help)
        p.add_argument("-v", "--verbose", action="count", default=0,
                       help="more logging; -vv for debug; show tracebacks")
        p.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
        importlib.import_module(module).configure(p)
    return parser


def _merge_late_overrides(parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]) -> None:
    """Accept `key=value` overrides after other flags too (argparse stops at the first flag)."""
    from yolotrack.commands.common import split_overrides

    late, unknown = split_overrides(extras)
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if late:
        args.overrides = list(getattr(args, "overrides", None) or []) + late


def setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose >= 2 else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S", stream=sys.stderr, force=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verbose = any(a in ("-v", "--verbose") or (a.startswith("-v") and set(a[1:]) == {"v"}) for a in argv)
    try:
        parser = build_parser()
        args, extras = parser.parse_known_args(argv)
        _merge_late_overrides(parser, args, extras)
        if args.version:
            from importlib.metadata import PackageNotFoundError, version

            try:
                print(version("yolotrack"))
            except PackageNotFoundError:
                print("yolotrack (not installed)")
            return 0
        if not args.command:
            parser.print_help()
            return 2
        setup_logging(args.verbose, args.quiet)
        module = importlib.import_module(COMMANDS[args.command][0])
        return int(module.run(args) or 0)
    except YolotrackError as e:
        if verbose:
            log.exception("failed")
        print(f"yolotrack: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("yolotrack: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
