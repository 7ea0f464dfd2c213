"""Operator commands over the link: `zarya cmd`, `zarya tm`, `zarya monitor`, `zarya keys`, `zarya archive`."""

from __future__ import annotations

import argparse
import json
import math
import queue
import sys
from pathlib import Path

from zarya.dictionary import load as load_dictionary
from zarya.errors import UsageError
from zarya.link.archive import Archive, ArchiveError
from zarya.link.client import LinkClient, LinkError
from zarya.link.keys import (
    KeyFileError,
    check_key_id,
    development_key,
    keys_bin,
    keys_bin_path,
    load_key_file,
    new_key_file,
    write_private,
)
from zarya.link.packets import CommandError


def add_connection_args(p) -> None:
    p.add_argument("port", help="serial URL: /dev/ttyACM0, the simulated board's tty, socket://host:port, loop://")
    p.add_argument("--key", help="key file (default: the development key, for the simulated board only)")
    p.add_argument("--archive", help="SQLite file to archive every packet in")
    p.add_argument("--baud", type=positive_int, default=115200)
    p.add_argument("--ignore-dictionary", action="store_true", help="talk to a board whose dictionary differs")


DEV_KEY_WARNING = ("warning: no --key: commanding with the DEVELOPMENT key (id 0), which only a development build "
                   "(such as `zarya sim`) accepts; give --key FILE for a flight board")


def open_link(args) -> LinkClient:
    """Connect with the key of --key (or, saying so, the development key) and archive if asked;
    a failed connection leaves no new archive file behind."""
    key = load_key_file(args.key) if args.key else development_key()
    archive_path = Path(args.archive) if args.archive else None
    created = archive_path is not None and not archive_path.exists()
    archive = Archive(archive_path) if archive_path else None
    link = LinkClient(args.port, key=key, archive=archive, baudrate=args.baud, check_dictionary=not args.ignore_dictionary)
    try:
        link.connect()
    except BaseException as err:
        if archive:
            archive.close()
            if created:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{archive_path}{suffix}").unlink(missing_ok=True)
        dictionary = load_dictionary()
        unknown = dictionary.failure(dictionary.failures.UNKNOWN_KEY)
        if key.development and isinstance(err, LinkError) and unknown in str(err):
            raise LinkError(f"{err}: the board is a flight build and refuses the development key; "
                            "give its key with --key FILE") from None
        raise
    if key.development:
        print(DEV_KEY_WARNING, file=sys.stderr)
    return link


def _number(kind, test, wanted):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {'whole ' if kind is int else ''}number: {text!r}") from None
        if not (math.isfinite(value) and test(value)):
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text}")
        return value

    return parse


positive_int = _number(int, lambda v: v > 0, "> 0")
non_negative_int = _number(int, lambda v: v >= 0, ">= 0")
positive_float = _number(float, lambda v: v > 0, "> 0")


def add_parser(sub) -> None:
    c = sub.add_parser("cmd", help="send one command from the dictionary and print its verification")
    c.add_argument("port", nargs="?", help="serial URL (see `zarya tm --help`)")
    c.add_argument("name", nargs="?", help="command name, e.g. PING, PARAM_SET")
    c.add_argument("args", nargs="*", help="arguments as name=value")
    c.add_argument("--list", action="store_true", help="list the dictionary's commands")
    c.add_argument("--confirm", action="store_true", help="required for hazardous commands: arm, then fire")
    c.add_argument("--key", help="key file from `zarya keys new` (default: the development key, simulated board only)")
    c.add_argument("--archive", help="SQLite file to archive every packet in")
    c.add_argument("--baud", type=positive_int, default=115200)
    c.add_argument("--ignore-dictionary", action="store_true")
    c.add_argument("--timeout", type=positive_float, default=3.0)
    c.set_defaults(run=run_cmd)

    t = sub.add_parser("tm", help="print telemetry as lines or JSON lines")
    add_connection_args(t)
    t.add_argument("--json", action="store_true")
    t.add_argument("--count", type=non_negative_int, default=0, help="stop after this many packets (default: run until Ctrl-C)")
    t.set_defaults(run=run_tm)

    m = sub.add_parser("monitor", help="live dashboard of a board")
    add_connection_args(m)
    m.set_defaults(run=run_monitor)

    k = sub.add_parser("keys", help="command keys").add_subparsers(dest="keys_command", metavar="ACTION")
    kn = k.add_parser("new", help="create a key file (mode 0600) and the keys.bin to provision the board with")
    kn.add_argument("path", help="the key file to create; its keys.bin record goes beside it as PATH.keys.bin")
    kn.add_argument("--key-id", type=int, default=1, help="1..255 (0 is the development key; default 1)")
    kn.set_defaults(run=run_keys_new)

    a = sub.add_parser("archive", help="query and export an archive").add_subparsers(dest="archive_command", metavar="ACTION")
    aq = a.add_parser("query", help="list parameters, or print one parameter's values")
    aq.add_argument("file")
    aq.add_argument("name", nargs="?")
    aq.add_argument("--from-s", type=float, default=float("-inf"))
    aq.add_argument("--to-s", type=float, default=float("inf"))
    aq.set_defaults(run=run_archive_query)
    ae = a.add_parser("export", help="export parameters to CSV")
    ae.add_argument("file")
    ae.add_argument("csv")
    ae.add_argument("names", nargs="+")
    ae.set_defaults(run=run_archive_export)


def parse_assignments(items: list[str]) -> dict:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CommandError(f"argument {item!r} is not name=value")
        try:
            out[name] = bytes.fromhex(value[2:]) if value.startswith("0x") and len(value) > 10 else value
        except ValueError:
            raise CommandError(f"argument {name}: {value!r} is not hex bytes") from None
    return out


def run_cmd(args) -> int:
    dictionary = load_dictionary()
    if args.list:
        for c in dictionary.module.COMMANDS:
            spec = ", ".join(f"{a[0]}:{a[1]}{' ' + a[2] if a[2] else ''}" for a in c["args"])
            flag = "  [hazardous: --confirm]" if c["hazardous"] else ""
            print(f"{c['name']:<18} ST[{c['service']},{c['subtype']}]  ({spec}){flag}\n    {c['doc']}")
        return 0
    if not args.port or not args.name:
        raise CommandError("give a port and a command name (or --list)")
    command = dictionary.commands.get(args.name)
    if command is None:
        raise CommandError(f"unknown command {args.name!r} (see `zarya cmd --list`)")
    values = parse_assignments(args.args)
    from zarya.link.packets import check_args

    check_args(command, values)  # refuse bad arguments before opening anything
    if command["hazardous"] and not args.confirm:
        raise CommandError(f"{args.name} is hazardous: add --confirm to arm and fire it")
    link = open_link(args)
    try:
        fire = link.arm_and_fire if command["hazardous"] else link.command
        handle = fire(args.name, args.timeout, **values)
        print(handle.describe())
        for tm in link.events[-5:]:
            print(f"  event {tm.name} ({tm.severity}): {tm.values}")
        return 0 if handle.ok else 1
    finally:
        link.close()


def run_tm(args) -> int:
    link = open_link(args)
    inbox = link.subscribe()
    seen = 0
    try:
        while not args.count or seen < args.count:
            try:
                tm = inbox.get(timeout=0.5)
            except queue.Empty:
                continue
            seen += 1
            if args.json:
                print(json.dumps(tm.as_dict(), default=str), flush=True)
            else:
                values = " ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in tm.values.items())
                print(f"{tm.board_time_s:12.3f} {tm.apid:#05x} #{tm.seq_count:<5} {tm.kind:<12} {tm.name:<16} {values}",
                      flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        link.close()
    return 0


def run_monitor(args) -> int:
    from zarya.cli.dashboard import run_dashboard

    link = open_link(args)
    try:
        run_dashboard(link)
    except KeyboardInterrupt:
        pass
    finally:
        link.close()
    return 0


def run_keys_new(args) -> int:
    check_key_id(args.key_id)
    path = Path(args.path)
    bin_path = keys_bin_path(path)
    for target in (path, bin_path):
        if target.exists() or target.is_symlink():
            raise KeyFileError(f"{target} exists: refusing to overwrite a key")
    if not path.parent.is_dir():
        raise KeyFileError(f"{path.parent}: no such directory")
    new_key_file(path, args.key_id)
    try:
        key = load_key_file(path)
        write_private(bin_path, keys_bin(key))
    except BaseException:
        path.unlink(missing_ok=True)  # all or nothing: no key file without its keys.bin
        raise
    print(f"key {key.key_id} in {path} (mode 0600); its keys.bin record in {bin_path} (mode 0600).\n"
          f"make a flight build with it: zarya flash --port PORT --key {path}")
    return 0


def check_names(archive: Archive, names: list[str]) -> None:
    known = set(archive.names())
    missing = [n for n in names if n not in known]
    if missing:
        raise ArchiveError(f"{archive.path}: no parameter {', '.join(missing)} in the archive "
                           f"(list them with `zarya archive query {archive.path}`)")


def run_archive_query(args) -> int:
    if args.from_s > args.to_s:
        raise UsageError(f"--from-s {args.from_s:g} is after --to-s {args.to_s:g}")
    archive = Archive(args.file, create=False)
    try:
        if not args.name:
            print("\n".join(archive.names()))
            return 0
        check_names(archive, [args.name])
        for t, v in archive.series(args.name, args.from_s, args.to_s):
            print(f"{t:.3f}\t{v:.9g}")
    finally:
        archive.close()
    return 0


def run_archive_export(args) -> int:
    archive = Archive(args.file, create=False)
    try:
        check_names(archive, args.names)
        if Path(args.csv).resolve() == archive.path.resolve():
            raise UsageError(f"{args.csv}: that is the archive itself")
        rows = archive.export_csv(args.csv, args.names)
    finally:
        archive.close()
    print(f"{rows} rows -> {args.csv}")
    return 0
