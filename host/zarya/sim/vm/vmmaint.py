# The simulated board in maintenance: MicroPython's REPL as a Pico serves it (friendly and raw,
# with raw-paste and paste mode), run by vmport.py on the board's own file system.  It follows
# shared/runtime/pyexec.c byte for byte where tools depend on it (mpremote, zarya flash).  A soft
# reset (Ctrl-D on an empty line, or SystemExit) prints "MPY: soft reboot" and exits: the bench
# then starts a fresh VM, into the raw REPL again when the reset came from the raw REPL (mpremote
# resets a board that way before it works on it), otherwise into the flight software (main.py),
# as a Pico does.  Also the bench's tools on a flash image (tool(), no serial line involved).
import sys

EXIT_SOFT_RESET, EXIT_SOFT_RESET_RAW = 6, 7  # zarya.sim.board: boot main.py / serve the raw REPL again
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
WINDOW = 128  # raw-paste flow-control window: half of MICROPY_REPL_STDIN_BUFFER_MAX, as on a Pico
COMPOUND = ("if", "while", "for", "try", "with", "def", "class", "async")

out = sys.stdout.buffer
inp = sys.stdin.buffer
one = bytearray(1)


def getc():
    if not inp.readinto(one):
        sys.exit(0)  # the serial line is gone
    return one[0]


def put(data):
    out.write(data)


def execute(src, g, raw, single=False):
    """Compile and run, as pyexec's parse_compile_execute: in the raw REPL an EOF (0x04) after the
    output and another after the error text.  True when the code asked for a soft reset."""
    try:
        exec(compile(bytes(src).decode(), "<stdin>", "single" if single else "exec"), g)
    except SystemExit:
        if raw:
            put(b"\x04\x04")
        return True
    except BaseException as err:  # the REPL reports everything and carries on, as a board's does
        if raw:
            put(b"\x04")
        report(err)
        if raw:
            put(b"\x04")
        return False
    if raw:
        put(b"\x04\x04")
    return False


def report(err):
    """The traceback, without this REPL's own frames (a Pico's begins at <stdin>)."""
    import io

    text = io.StringIO()
    sys.print_exception(err, text)
    put("\n".join(line for line in text.getvalue().split("\n") if "vmmaint.py" not in line).encode())


def raw_paste(g):
    """Raw-paste mode: the window size, then one 0x01 per window consumed; 0x04 acknowledges the end.
    A Pico lexes the code as it arrives, so a byte no Python source holds (outside strings and
    comments) ends the paste at once, as its SyntaxError does: 0x04, the rest dropped up to the
    client's 0x04, then the error (a client sending junk hears back straight away)."""
    put(b"R\x01" + bytes((WINDOW & 0xFF, WINDOW >> 8, 1)))
    src = bytearray()
    remain = WINDOW
    quote = 0
    escaped = comment = False
    while True:
        c = getc()
        if c == 3 or c == 4:
            put(b"\x04")
            if c == 3:
                put(b"\x04KeyboardInterrupt: \n\x04")
                return False
            break
        if quote:
            if escaped:
                escaped = False
            elif c == 92:
                escaped = True
            elif c == quote:
                quote = 0
        elif comment:
            comment = c != 10 and c != 13
        elif c == 34 or c == 39:
            quote = c
        elif c == 35:
            comment = True
        elif (c < 32 and c not in (9, 10, 12, 13)) or c in (36, 63, 96, 127):  # no token starts with these
            put(b"\x04")
            while getc() not in (3, 4):
                pass
            put(b'\x04Traceback (most recent call last):\n  File "<stdin>", line 1\nSyntaxError: invalid syntax\n\x04')
            return False
        src.append(c)
        remain -= 1
        if not remain:
            put(b"\x01")
            remain = WINDOW
    return execute(src, g, True)


def raw_repl(g):
    """Returns "friendly" (Ctrl-B) or "reset"."""
    put(RAW_BANNER)
    line = bytearray()
    put(b">")
    while True:
        c = getc()
        if c == 1:  # Ctrl-A: raw-paste request (after Ctrl-E + kind) or reset of the raw REPL
            if len(line) == 2 and line[0] == 5:
                if line[1] == ord("A"):
                    if raw_paste(g):
                        return "reset"
                else:
                    put(b"R\x00")
            else:
                put(RAW_BANNER)
            line = bytearray()
            put(b">")
        elif c == 2:  # Ctrl-B: friendly REPL
            put(b"\r\n")
            return "friendly"
        elif c == 3:  # Ctrl-C: clear the line
            line = bytearray()
        elif c == 4:  # Ctrl-D: run the line, or soft reset on an empty one
            put(b"OK")
            if not line:
                put(b"\r\n")
                return "reset"
            if execute(line, g, True):
                return "reset"
            line = bytearray()
            put(b">")
        else:
            line.append(c)


def banner():
    version = sys.version.split("MicroPython ")[-1]
    put(b"MicroPython " + version.encode() + b"; Zarya simulated board (MicroPython unix port)\r\n"
        b'Type "help()" for more information.\r\n')


def readline(prompt):
    """A line typed at the friendly REPL (bytes, echoed, with backspace), or the control code that ended it."""
    put(prompt)
    buf = bytearray()
    while True:
        c = getc()
        if c == 3:
            return 3
        if c in (1, 2, 4, 5):
            if not buf:
                return c
        elif c in (13, 10):
            put(b"\r\n")
            return bytes(buf)
        elif c in (8, 127):
            if buf:
                while buf and buf[-1] & 0xC0 == 0x80:  # a UTF-8 character's continuation bytes
                    buf.pop()
                if buf:
                    buf.pop()
                put(b"\b \b")
        elif c == 27:  # an escape sequence (cursor keys): not supported, dropped
            c = getc()
            if c in (ord("["), ord("O")):
                while not 0x40 <= getc() <= 0x7E:
                    pass
        elif c == 9:
            buf.extend(b"    ")
            put(b"    ")
        elif c >= 32:
            buf.append(c)
            one[0] = c
            put(one)


def continues(text):
    """Whether the friendly REPL asks for another line, as mp_repl_continue_with_input."""
    try:
        text = text.decode()
    except UnicodeError:
        return False  # not source: the compiler says so
    if not text:
        return False
    word = text.split(None, 1)[0].split("(")[0].rstrip(":") if text.split() else ""
    compound = text[0] == "@" or word in COMPOUND
    depth = 0
    quote = None
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif text.startswith(quote, i):
                i += len(quote) - 1
                quote = None
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "'\"":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote) - 1
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        i += 1
    if (quote and len(quote) == 3) or depth > 0 or text[-1] == "\\":
        return True
    return compound and text[-1] != "\n"


def friendly_repl(g):
    """Returns "raw" (Ctrl-A) or "reset"."""
    banner()
    while True:
        text = readline(b">>> ")
        single = True
        if text == 1:
            put(b"\r\n")
            return "raw"
        if text == 2:
            put(b"\r\n")
            banner()
            continue
        if text == 3:
            put(b"\r\n")
            continue
        if text == 4:
            put(b"\r\n")
            return "reset"
        if text == 5:  # paste mode
            put(b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ")
            buf = bytearray()
            while True:
                c = getc()
                if c == 3:
                    put(b"\r\n")
                    buf = None
                    break
                if c == 4:
                    put(b"\r\n")
                    break
                buf.append(c)
                if c == 13:
                    put(b"\r\n=== ")
                else:
                    one[0] = c
                    put(one)
            if buf is None:
                continue
            text = bytes(buf).replace(b"\r", b"\n")
            single = False
        elif not text:
            continue
        else:
            while continues(text):
                more = readline(b"... ")
                if more == 3:
                    put(b"\r\n")
                    text = None
                    break
                if more == 4:
                    break
                if isinstance(more, bytes):
                    text += b"\n" + more
            if text is None:
                continue
        if execute(text, g, False, single):
            return "reset"


def serve(raw):
    """The REPL until a soft reset; starts in the raw REPL after a soft reset from it."""
    g = {"__name__": "__main__"}
    mode = "raw" if raw else "friendly"
    while True:
        try:
            after = raw_repl(g) if mode == "raw" else friendly_repl(g)
        except Exception as err:  # a fault of this REPL, not of the code it ran: report it and carry on
            sys.print_exception(err)
            continue
        if after == "reset":
            put(b"MPY: soft reboot\r\n")
            sys.exit(EXIT_SOFT_RESET_RAW if mode == "raw" else EXIT_SOFT_RESET)
        mode = after


def tool(args, flash):
    """The bench's look at a flash image: IMAGE read PATH | ls PATH | check | format [rom] | import HOSTDIR."""
    import vfs

    image, command = args[0], args[1]
    arg = args[2] if len(args) > 2 else "/"
    writes = command in ("format", "import")
    try:
        fs = flash(image, readonly=not writes, format_blank=command == "format", rom=arg == "rom")
        vfs.mount(fs, "/flash", readonly=not writes)
        tool_command(command, arg)
    except OSError as err:
        sys.stderr.write(f"{command} {arg}: {err}\n")
        sys.exit(2 if err.errno == 2 else 1)


def tool_command(command, arg):
    import os

    import vfs

    if command == "read":
        with open("/flash/" + arg.lstrip("/"), "rb") as f:
            while True:
                chunk = f.read(4096)
                if not chunk:
                    break
                out.write(chunk)
    elif command == "ls":
        for entry in os.ilistdir("/flash/" + arg.lstrip("/")):
            print(entry[0] + ("/" if entry[1] == 0x4000 else ""))
    elif command == "check":
        walk("/flash", "")
    elif command == "import":
        copy_in(arg.rstrip("/"), "/flash")
    vfs.umount("/flash")


def walk(root, rel):
    """Every file of the image read to the end: its path and size, one per line."""
    import os

    for entry in os.ilistdir(root + rel or "/"):
        path = rel + "/" + entry[0]
        if entry[1] == 0x4000:
            print(path + "/")
            walk(root, path)
        else:
            size = 0
            with open(root + path, "rb") as f:
                while True:
                    chunk = f.read(4096)
                    if not chunk:
                        break
                    size += len(chunk)
            print(path, size)


def copy_in(src, dst):
    """A host directory's files and directories into the image (symbolic links are not followed):
    the firmware tree into the ROM image, or a board directory from before the flash image."""
    import os

    for entry in os.ilistdir(src):
        name = entry[0]
        if name in ("tty", "flash.img", "flash.img.new", "__pycache__") or name[0] == ".":
            continue
        if entry[1] == 0x4000:
            try:
                os.mkdir(dst + "/" + name)
            except OSError:
                pass
            copy_in(src + "/" + name, dst + "/" + name)
        elif entry[1] == 0x8000:
            with open(src + "/" + name, "rb") as f, open(dst + "/" + name, "wb") as g:
                while True:
                    chunk = f.read(4096)
                    if not chunk:
                        break
                    g.write(chunk)
