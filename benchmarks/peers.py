"""Peers a user would pick instead of Zarya's kernels, imported if they are installed.

pykep 3.0.1's wheel lacks the JSON data files under pykep/trajopt/gym/tops/, so `import pykep`
fails; the files are only problem catalogues for pykep's optimisation gym (not used by its
Lambert solver), so when they are missing this writes empty catalogues in their place and says so.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

TOPS_FILES = ("_tops_cr3bp.json", "_tops_twobody.json", "_tops_ss.json", "_tops_mee.json")


def import_pykep():
    """pykep, or (None, reason)."""
    spec = importlib.util.find_spec("pykep")
    if spec is None or spec.origin is None:
        return None, "pykep is not installed (pip install -e '.[bench]')"
    tops = Path(spec.origin).parent / "trajopt" / "gym" / "tops"
    missing = [name for name in TOPS_FILES if not (tops / name).exists()]
    if missing:
        tops.mkdir(parents=True, exist_ok=True)
        for name in missing:
            (tops / name).write_text("{}")
        print(f"pykep: wrote empty {', '.join(missing)} (missing from the 3.0.1 wheel) in {tops}")
    import pykep

    return pykep, ""


def import_lamberthub():
    try:
        from lamberthub import izzo2015
    except ImportError as err:
        return None, f"lamberthub is not installed ({err})"
    return izzo2015, ""
