"""`zarya flash`: build, deploy (mpremote), verify by SHA-256, switch slots atomically, reset, check."""

from __future__ import annotations

from pathlib import Path

from zarya.cli.progress import progress_bar


def add_parser(sub) -> None:
    p = sub.add_parser("flash", help="build the firmware and flash it to a board (or the simulated board)")
    p.add_argument("--port", help="serial port of the board: /dev/ttyACM0, or the simulated board's tty")
    p.add_argument("--build-dir", default="build/firmware", help="where the .mpy build and manifest go")
    p.add_argument("--build-only", action="store_true", help="compile and write the manifest, then stop")
    p.add_argument("--verify", action="store_true", help="only compare the board's active slot with the build")
    p.add_argument("--rollback", action="store_true", help="return to the previous slot")
    p.add_argument("--force", action="store_true", help="flash a build whose dictionary differs from the host's")
    p.add_argument("--key", help="key file (default: the development key, simulated board only)")
    p.set_defaults(run=run)


def run(args) -> int:
    from zarya.dictionary import load as load_dictionary
    from zarya.flash import FlashError, build, flash, rollback, verify
    from zarya.link.keys import development_key, load_key_file

    key = load_key_file(args.key) if args.key else development_key()
    build_dir = Path(args.build_dir)
    if args.rollback:
        if not args.port:
            raise FlashError("--rollback needs --port")
        print(f"rolled back: {rollback(args.port, key)} is active again")
        return 0
    with progress_bar("build") as advance:
        manifest = build(build_dir, progress=advance)
    size = sum(f["size"] for f in manifest.files.values())
    print(f"built {len(manifest.files)} files ({size} bytes) for firmware {manifest.version} "
          f"(git {manifest.git_revision}, dictionary {manifest.dict_hash:08x}) in {build_dir}")
    if args.build_only:
        return 0
    if not args.port:
        raise FlashError("give --port (or --build-only)")
    host_hash = load_dictionary().hash32
    if manifest.dict_hash != host_hash and not args.force:
        raise FlashError(f"the build's dictionary {manifest.dict_hash:08x} differs from the host's {host_hash:08x}: "
                         "the host could not talk to that board; use --force to flash anyway")
    if args.verify:
        differ = verify(args.port, build_dir, manifest, key)
        print("the board matches the build" if not differ else "differs from the build: " + ", ".join(differ))
        return 0 if not differ else 1
    with progress_bar("deploy") as advance:
        result = flash(args.port, build_dir, manifest, key, progress=advance)
    print(f"{result.slot}: {len(result.sent)} sent, {len(result.copied)} copied on the board, {len(result.unchanged)} "
          f"unchanged, {len(result.resent_after_bad_hash)} re-sent after a bad hash; all verified by SHA-256")
    if result.rolled_back:
        print(f"ROLLED BACK: the board came up with firmware {result.boot_version}, not {manifest.version}")
        return 1
    print(f"the board booted firmware {result.boot_version} with the matching dictionary")
    return 0
