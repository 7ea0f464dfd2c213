"""Operator commands over the link: `zarya cmd`, `zarya tm`, `zarya monitor`, `zarya keys`, `zarya archive`."""

from __future__ import annotations

import json
import queue
import sys
from pathlib import Path

from zarya.dictionary import load as load_dictionary
from zarya.link.archive import Archive
from zarya.link.client import LinkClient
from zarya.link.keys import development_key, load_key_file, new_key_file
from zarya.link.packets import CommandError


def add_connection_args(p) -> None:
    p.add_argument("port", help="serial URL: /dev/ttyACM0, the simulated board's tty, socket://host:port, loop://")
    p.add_argument("--key", help="key file (default: the development key, for the simulated board only)")
    p.add_argument("--archive", help="SQLite file to archive every packet in")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--ignore-dictionary", action="store_true", help="talk to a board whose dictionary differs")


def open_link(args) -> LinkClient:
    key = load_key_file(args.key) if args.key else development_key()
    archive = Archive(args.archive) if args.archive else None
    link = LinkClient(args.port, key=key, archive=archive, baudrate=args.baud, check_dictionary=not args.ignore_dictionary)
    link.connect()
    if key.development:
        print("note: using the DEVELOPMENT key (simulated board only)", file=sys.stderr)
    return link


def add_parser(sub) -> None:
    c = sub.add_parser("cmd", help="send one command from the dictionary and print its verification")
    c.add_argument("port", nargs="?", help="serial URL (see `zarya tm --help`)")
    c.add_argument("name", nargs="?", help="command name, e.g. PING, PARAM_SET")
    c.add_argument("args", nargs="*", help="arguments as name=value")
    c.add_argument("--list", action="store_true", help="list the dictionary's commands")
    c.add_argument("--confirm", action="store_true", help="required for hazardous commands: arm, then fire")
    c.add_argument("--key")
    c.add_argument("--archive")
    c.add_argument("--baud", type=int, default=115200)
    c.add_argument("--ignore-dictionary", action="store_true")
    c.add_argument("--timeout", type=float, default=3.0)
    c.set_defaults(run=run_cmd)

    t = sub.add_parser("tm", help="print telemetry as lines or JSON lines")
    add_connection_args(t)
    t.add_argument("--json", action="store_true")
    t.add_argument("--count", type=int, default=0, help="stop after this many packets (default: run until Ctrl-C)")
    t.set_defaults(run=run_tm)

    m = sub.add_parser("monitor", help="live dashboard of a board")
    add_connection_args(m)
    m.set_defaults(run=run_monitor)

    k = sub.add_parser("keys", help="command keys").add_subparsers(dest="keys_command", metavar="ACTION")
    kn = k.add_parser("new", help="create a key file (mode 0600) and the keys.bin to provision the board with")
    kn.add_argument("path")
    kn.add_argument("--key-id", type=int, default=1)
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
    path = new_key_file(args.path, args.key_id)
    key = load_key_file(path)
    bin_path = Path(path).with_suffix(".keys.bin")
    bin_path.write_bytes(bytes([key.key_id]) + key.key)
    bin_path.chmod(0o600)
    print(f"key {key.key_id} in {path} (mode 0600); provision the board with {bin_path} as keys.bin")
    return 0


def run_archive_query(args) -> int:
    archive = Archive(args.file)
    if not args.name:
        print("\n".join(archive.names()))
        return 0
    for t, v in archive.series(args.name, args.from_s, args.to_s):
        print(f"{t:.3f}\t{v:.9g}")
    return 0


def run_archive_export(args) -> int:
    rows = Archive(args.file).export_csv(args.csv, args.names)
    print(f"{rows} rows -> {args.csv}")
    return 0


