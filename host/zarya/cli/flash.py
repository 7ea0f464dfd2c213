"""`zarya flash`: build, deploy (mpremote), verify by SHA-256, switch slots atomically, reset, check.

A flash makes a **flight build** by default: firmware deployed with a keys.bin holding the key of
`--key FILE` (made by `zarya keys new FILE`); without it the command refuses.  `--dev-key` makes a
development build instead (no keys.bin: only the simulated board then accepts commands, signed
with the public development key, id 0) and says so loudly.
"""

from __future__ import annotations

import sys
from pathlib import Path

from zarya.cli.progress import progress_bar
from zarya.errors import UsageError

NEED_KEY = ("a flight build needs its command key: create one with `zarya keys new flight.key` and give "
            "--key flight.key (or --dev-key for a development build, for the simulated board and the bench)")
DEV_WARNING = ("WARNING: DEVELOPMENT BUILD: no flight key is installed; the simulated board accepts the public "
               "development key (id 0). Never fly it: make a flight build with `zarya keys new FILE` and "
               "`zarya flash --key FILE`.")


def add_parser(sub) -> None:
    p = sub.add_parser("flash", help="build the firmware and flash it to a board (or the simulated board)",
                       description=__doc__)
    p.add_argument("--port", help="serial port of the board: /dev/ttyACM0, or the simulated board's tty")
    p.add_argument("--build-dir", default="build/firmware", help="where the .mpy build and manifest go")
    p.add_argument("--build-only", action="store_true", help="compile and write the manifest, then stop")
    p.add_argument("--verify", action="store_true", help="only compare the board's active slot (and keys.bin) with the build")
    p.add_argument("--rollback", action="store_true", help="return to the previous slot")
    p.add_argument("--force", action="store_true", help="flash a build whose dictionary differs from the host's")
    keys = p.add_mutually_exclusive_group()
    keys.add_argument("--key", help="flight key file (from `zarya keys new`): installed as the board's keys.bin")
    keys.add_argument("--dev-key", action="store_true",
                      help="make a DEVELOPMENT build (no keys.bin; simulated board only): never fly it")
    p.add_argument("--board-key", help="key file the board's running firmware holds now, if not --key (a key change)")
    p.set_defaults(run=run)


def check_port(port: str | None) -> str:
    if not port:
        raise UsageError("give --port (or --build-only)")
    if "://" not in port and not Path(port).exists():
        raise UsageError(f"{port}: no such port (a Pico is /dev/ttyACM0; `zarya sim` prints its tty)")
    return port


def probe_port(port: str) -> None:
    """Open and close the port: one that is no serial line is refused before anything is built."""
    import serial

    try:
        serial.serial_for_url(port, baudrate=115200, timeout=0).close()
    except (serial.SerialException, OSError, ValueError) as err:
        raise UsageError(f"cannot open {port} as a serial port: {err}") from None


def run(args) -> int:
    from zarya.dictionary import load as load_dictionary
    from zarya.firmware import firmware_dir
    from zarya.flash import FlashError, build, flash, rollback, verify
    from zarya.link.keys import development_key, load_key_file

    key = board_key = None
    if not args.build_only:  # everything that talks to a board is checked before anything is built
        check_port(args.port)
        if not args.rollback:
            ours, theirs = load_dictionary().hash32, load_dictionary(str(firmware_dir())).hash32
            if ours != theirs and not args.force:
                raise FlashError(f"the build's dictionary {theirs:08x} differs from the host's {ours:08x}: "
                                 "the host could not talk to that board; use --force to flash anyway")
        if not args.key and not args.dev_key:
            raise UsageError(NEED_KEY)
        key = load_key_file(args.key) if args.key else development_key()
        board_key = load_key_file(args.board_key) if args.board_key else None
        probe_port(args.port)
    if args.dev_key and not (args.build_only or args.verify):
        print(DEV_WARNING, file=sys.stderr)
    build_dir = Path(args.build_dir)
    if args.rollback:
        print(f"rolled back: {rollback(args.port, board_key or key)} is active again")
        return 0
    with progress_bar("build") as advance:
        manifest = build(build_dir, progress=advance)
    size = sum(f["size"] for f in manifest.files.values())
    print(f"built {len(manifest.files)} files ({size} bytes) for firmware {manifest.version} "
          f"(git {manifest.git_revision}, dictionary {manifest.dict_hash:08x}) in {build_dir}")
    if args.build_only:
        return 0
    if args.verify:
        differ = verify(args.port, build_dir, manifest, board_key or key)
        print("the board matches the build" if not differ else "differs from the build: " + ", ".join(differ))
        return 0 if not differ else 1
    with progress_bar("deploy") as advance:
        result = flash(args.port, build_dir, manifest, key, progress=advance, board_key=board_key,
                       note=lambda message: print(message, file=sys.stderr))
    print(f"{result.slot}: {len(result.sent)} sent, {len(result.copied)} copied on the board, {len(result.unchanged)} "
          f"unchanged, {len(result.resent_after_bad_hash)} re-sent after a bad hash; all verified by SHA-256")
    print("a DEVELOPMENT build: no keys.bin, the simulated board accepts the development key" if key.development
          else f"a flight build: keys.bin holds {result.keys}")
    if result.rolled_back:
        print(f"ROLLED BACK: the board came up with firmware {result.boot_version}, not {manifest.version}")
        return 1
    print(f"the board booted firmware {result.boot_version} with the matching dictionary")
    return 0
