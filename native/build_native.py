"""cffi (API mode, out of line) build of `zarya._native` from the C kernels in native/.

The declarations come from the headers themselves, so the C and its binding
cannot disagree.  Run by the package build (setup.py's `cffi_modules`).  Run as a
script, it builds a sanitizer (ASan + UBSan) copy for the tests:
    python native/build_native.py --sanitize --outdir DIR
"""

import argparse
import os
from pathlib import Path

from cffi import FFI

NATIVE_DIR = Path(__file__).resolve().parent
KERNELS = ["dose", "guidance"]
CFLAGS = ["-O3", "-Wall", "-Wextra", "-ffp-contract=off", "-fno-math-errno", "-std=c11", "-fopenmp"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer", "-g"]


def header_declarations(header: Path) -> str:
    """The header without its preprocessor guards and includes (cdef takes the rest)."""
    keep = []
    for line in header.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith(("#if", "#endif", "#include")) or stripped == "#define ZARYA_" + header.stem.upper() + "_H":
            continue
        keep.append(line)
    return "\n".join(keep)


def make_builder(sanitize: bool = False, absolute_paths: bool = False) -> FFI:
    """The package build names sources relative to the checkout (setuptools wants that); a build
    into another directory (the script) names them absolutely."""
    absolute_paths = absolute_paths or sanitize
    builder = FFI()
    builder.cdef("\n".join(header_declarations(NATIVE_DIR / f"{k}.h") for k in KERNELS))
    builder.set_source(
        "zarya._native",
        "\n".join(f'#include "{k}.h"' for k in KERNELS),
        sources=[str(NATIVE_DIR / f"{k}.c") for k in KERNELS] if absolute_paths else [f"native/{k}.c" for k in KERNELS],
        include_dirs=[str(NATIVE_DIR)] if absolute_paths else ["native"],
        extra_compile_args=CFLAGS + ([*SANITIZE, "-Werror"] if sanitize else []),
        extra_link_args=["-fopenmp", *(SANITIZE if sanitize else [])],
        libraries=["m"],
    )
    return builder


ffibuilder = make_builder()

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sanitize", action="store_true", help="build with ASan and UBSan, warnings as errors")
    parser.add_argument("--outdir", default=".", help="where the zarya/_native module goes")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    print(make_builder(args.sanitize, absolute_paths=True).compile(tmpdir=args.outdir, verbose=True))
