# The simulated board's port layer: a MicroPython program (run by the unix-port VM, never by the
# host's Python) doing what the Pico's C main and _boot.py do.  It replaces the host's file system
# in the VM by the board's own: the flash, a LittleFS image file (<board dir>/flash.img) reached
# through the block device below, mounted at / (the working directory), and read-only at /rom an
# image of the firmware tree the bench built (the board's ROM: what runs while the flash holds no
# main.py).  Then it runs main.py, or serves the REPL (vmmaint.py).  Environment (from the bench):
#   ZARYA_FLASH, ZARYA_ROM  the two images;  ZARYA_VM  "run", "repl", "raw" or "tool"
import os
import sys

import vfs

BLOCK = 4096  # the RP2040's flash erase sector
ERASED = b"\xff" * 256
PROGSIZE, LOOKAHEAD = 256, 32  # as the rp2 port's _boot.py (so the heap LittleFS takes is a Pico's)
ROM_SIZES = 32, 32  # the ROM's read and program sizes: 128-byte caches, each import's file costs little heap
EIO, EROFS = 5, 30


class FlashImage:
    """NOR flash in a file, as MicroPython's block-device protocol (the extended interface, as
    rp2.Flash): erase 4 KB blocks, program at any offset.  Every operation goes straight to the
    file (one write(2) per program), so a power cut (the VM killed) lands between two of them."""

    def __init__(self, f, readonly=False):
        self.f = f
        self.readonly = readonly  # writes fail as LittleFS expects (an error code), never half done
        f.seek(0, 2)
        self.blocks = f.tell() // BLOCK

    def readblocks(self, block, buf, offset=0):
        f = self.f
        f.seek(block * BLOCK + offset)
        f.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        if self.readonly:
            return -EROFS
        if offset is None:  # the simple interface: whole blocks, erased first
            for i in range(len(buf) // BLOCK):
                self.ioctl(6, block + i)
            offset = 0
        f = self.f
        f.seek(block * BLOCK + offset)
        f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return BLOCK
        if op == 6:  # erase
            if self.readonly:
                return -EROFS
            f = self.f
            f.seek(arg * BLOCK)
            for _ in range(BLOCK // len(ERASED)):
                f.write(ERASED)
        return 0  # init, deinit, sync (and erase): done


def flash(path, readonly=False, format_blank=False, rom=False):
    """The image's LittleFS (not yet mounted).  A blank image (never formatted) is formatted only
    when asked: a Pico reformats a flash that does not mount, the simulator stops instead."""
    bdev = FlashImage(open(path, "rb" if readonly else "r+b"), readonly)
    sizes = {"readsize": ROM_SIZES[0], "progsize": ROM_SIZES[1]} if rom else {"progsize": PROGSIZE}
    try:
        return vfs.VfsLfs2(bdev, lookahead=LOOKAHEAD, **sizes)
    except OSError:
        if not (format_blank and blank(bdev)):
            raise OSError(EIO, path + " holds no LittleFS file system that mounts") from None
    vfs.VfsLfs2.mkfs(bdev, lookahead=LOOKAHEAD, **sizes)
    return vfs.VfsLfs2(bdev, lookahead=LOOKAHEAD, **sizes)


def blank(bdev):
    buf = bytearray(64)
    for block in (0, 1):  # the superblock pair
        bdev.readblocks(block, buf)
        if buf != bytes(64) and buf != b"\xff" * 64:
            return False
    return True


def boot(mode):
    maint = None
    if mode != "run":
        import vmmaint  # type: ignore[import-not-found]  # beside this file, while the host's file system is still there

        maint = vmmaint
        if mode == "tool":
            maint.tool(sys.argv[1:], flash)
            return None
    fs = flash(os.getenv("ZARYA_FLASH"))
    rom = flash(os.getenv("ZARYA_ROM"), readonly=True, rom=True)
    vfs.umount("/")  # the host's file system, gone for good
    vfs.mount(fs, "/")
    vfs.mount(rom, "/rom", readonly=True)
    os.chdir("/")
    if maint is not None:
        sys.path[:] = ["", ".frozen", "/lib"]
        return maint.serve(mode == "raw")
    try:
        os.stat("/main.py")  # flashed: the loader in the flash runs the active slot
        path = "/main.py"
        sys.path[:] = ["", ".frozen", "/lib"]
    except OSError:
        path = "/rom/main.py"  # a board fresh from the factory: the firmware of the checkout
        sys.path[:] = ["/rom", ".frozen"]
    return path


def compiled(path):
    with open(path) as f:
        return compile(f.read(), path[1:] if path == "/main.py" else path, "exec")


main = boot(os.getenv("ZARYA_VM") or "run")
if main:
    main = compiled(main)
    del boot, flash, blank, compiled  # not needed again: their heap goes back to the firmware
    exec(main, {"__name__": "__main__"})
