"""Read a dosimeter CSV into a dose-rate series, refusing bad files with the line and the reason.

Columns (named in a header line):
- `t_s` (required): sample time in s, strictly increasing;
- exactly one of `dose_rate_uGy_h` (absorbed dose rate), `counts` (counts since the previous
  sample; optional `interval_s`, else the time since the previous sample) or `counter` (a
  cumulative hardware counter that wraps; its first row only sets the baseline);
- optionally `let_<lo>_<hi>` columns: counts of the LET spectrum in bin [lo, hi) keV/um,
  contiguous bins, giving each sample's mean quality factor and so its dose equivalent.

Comment lines start with `#`; `# key = value` lines set detector parameters that command-line
options override: gy_per_count, dead_time_s, dead_time_model, counter_bits.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zarya import backends
from zarya.dose.api import DEADTIME_MODELS, RANGE, DoseInputError
from zarya.errors import ZaryaError
from zarya.units import ugy_h_to_gy_s

RATE_COLUMNS = ("dose_rate_uGy_h", "counts", "counter")
LET_COLUMN = re.compile(r"^let_([0-9.eE+-]+)_([0-9.eE+-]+)$")
DETECTOR_DEFAULTS = {
    "gy_per_count": 1e-8,  # a small GM tube: 0.56 counts/s at the 20 uGy/h deep-space background
    "dead_time_s": 1e-4,  # GM tubes: 50-200 us (REFERENCE.md)
    "dead_time_model": "nonparalyzable",
    "counter_bits": 16,
}


class DoseFileError(ZaryaError, ValueError):
    """A dosimeter file that cannot be read: the message names the line and the reason."""

    def __init__(self, path: Path, line: int | None, reason: str):
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
        self.line = line


@dataclass
class DoseSeries:
    """A dose-rate series in SI units, ready for the kernels."""

    t_s: np.ndarray
    rate_gy_s: np.ndarray
    quality: np.ndarray | None  # mean quality factor per sample, when LET bins are given
    source_column: str
    detector: dict = field(default_factory=dict)
    lines: np.ndarray | None = None  # file line of each sample, for error messages


def _number(path: Path, line: int, column: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise DoseFileError(path, line, f"{column} is not a number: {text.strip()!r}") from None


def _metadata(path: Path, line: int, text: str, detector: dict) -> None:
    key, sep, value = text.lstrip("#").partition("=")
    key, value = key.strip(), value.strip()
    if not sep or key not in DETECTOR_DEFAULTS:
        return
    if key == "dead_time_model":
        if value not in DEADTIME_MODELS:
            raise DoseFileError(path, line, f"dead_time_model must be one of {sorted(DEADTIME_MODELS)}")
        detector[key] = value
    elif key == "counter_bits":
        detector[key] = int(_number(path, line, key, value))
    else:
        detector[key] = _number(path, line, key, value)


def _let_edges(path: Path, line: int, header: list[str]) -> tuple[list[int], list[float]]:
    columns, edges = [], []
    for i, name in enumerate(header):
        match = LET_COLUMN.match(name)
        if not match:
            continue
        lo, hi = float(match[1]), float(match[2])
        if edges and lo != edges[-1]:
            raise DoseFileError(path, line, f"LET column {name} does not start where the previous bin ends ({edges[-1]:g})")
        if not edges:
            edges.append(lo)
        edges.append(hi)
        columns.append(i)
    return columns, edges


def read_rows(path: Path, detector: dict) -> tuple[list[str], list[tuple[int, list[str]]], int]:
    """Header, data rows with their line numbers, and the header's line number."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise DoseFileError(path, None, f"cannot read: {err}") from None
    header, header_line, rows = None, 0, []
    for line_no, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not "".join(row).strip():
            continue
        if row[0].lstrip().startswith("#"):
            _metadata(path, line_no, ",".join(row), detector)
            continue
        if header is None:
            header, header_line = [c.strip() for c in row], line_no
            continue
        if len(row) != len(header):
            raise DoseFileError(path, line_no, f"{len(row)} fields but the header has {len(header)}")
        rows.append((line_no, row))
    if header is None:
        raise DoseFileError(path, None, "no header line (expected columns such as t_s,dose_rate_uGy_h)")
    return header, rows, header_line


def read_dose_csv(path: str | Path, **overrides) -> DoseSeries:
    """Parse `path` into a DoseSeries; keyword overrides set detector parameters."""
    path = Path(path)
    detector = dict(DETECTOR_DEFAULTS)
    header, rows, header_line = read_rows(path, detector)
    detector.update({k: v for k, v in overrides.items() if v is not None})
    if "t_s" not in header:
        raise DoseFileError(path, header_line, f"no t_s column (columns: {', '.join(header)})")
    present = [c for c in RATE_COLUMNS if c in header]
    if len(present) != 1:
        raise DoseFileError(path, header_line, f"need exactly one of {', '.join(RATE_COLUMNS)} (found {present or 'none'})")
    source = present[0]
    if not rows:
        raise DoseFileError(path, None, "no data rows")
    let_columns, edges = _let_edges(path, header_line, header)
    lines = np.array([line for line, _ in rows])

    def column(name: str) -> np.ndarray:
        i = header.index(name)
        return np.array([_number(path, line, name, row[i]) for line, row in rows])

    t_s = column("t_s")
    k = backends.dose()
    try:
        rate = _rate_gy_s(k, source, column, t_s, header, detector)
    except DoseInputError as err:
        # counter rates start at the second row; counter range errors name rows from the first
        rate_lines = lines[1:] if source == "counter" and err.code != RANGE else lines
        raise DoseFileError(path, line_of(err, rate_lines), str(err).split(": ", 1)[-1]) from None
    if source == "counter":
        t_s, lines = t_s[1:], lines[1:]
        rows = rows[1:]
    quality = None
    if let_columns:
        spectra = np.array([[_number(path, line, header[i], row[i]) for i in let_columns] for line, row in rows])
        quality = _mean_quality(k, path, lines, spectra, edges)
    return DoseSeries(t_s, rate, quality, source, detector, lines)


def line_of(err: DoseInputError, lines: np.ndarray) -> int | None:
    """The file line of the sample a kernel error names."""
    return None if err.index is None else int(lines[err.index])


def _rate_gy_s(k, source: str, column, t_s: np.ndarray, header: list[str], detector: dict) -> np.ndarray:
    if source == "dose_rate_uGy_h":
        return ugy_h_to_gy_s(column(source))
    if source == "counter":
        counts = k.unwrap_counter(column(source).astype(np.int64), int(detector["counter_bits"])).increments[1:]
        interval = np.diff(t_s)
    else:
        counts = column(source)
        if "interval_s" in header:
            interval = column("interval_s")
        elif len(t_s) > 1:
            interval = np.diff(t_s, prepend=2 * t_s[0] - t_s[1])
        else:
            interval = np.array([math.nan])
    return k.counts_to_dose_rate(
        counts, interval, float(detector["dead_time_s"]), str(detector["dead_time_model"]), float(detector["gy_per_count"])
    )


def _mean_quality(k, path: Path, lines: np.ndarray, spectra: np.ndarray, edges: list[float]) -> np.ndarray:
    """Mean quality factor per sample; a sample with an empty spectrum takes the series mean."""
    try:
        whole = k.dose_equivalent(spectra.sum(axis=0), edges)
    except DoseInputError as err:
        raise DoseFileError(path, None, f"LET bins: {err}") from None
    quality = np.full(len(spectra), whole.mean_quality_factor if whole.dose_gy > 0 else 1.0)
    for i, spectrum in enumerate(spectra):
        try:
            q = k.dose_equivalent(spectrum, edges).mean_quality_factor
        except DoseInputError as err:
            raise DoseFileError(path, int(lines[i]), f"LET {err}") from None
        if not math.isnan(q):
            quality[i] = q
    return quality


def read_dose_archive(path: str | Path) -> DoseSeries:
    """The board's downlinked dose-rate samples (rad_sample) from a telemetry archive, with each
    sample's quality factor; t_s is board time (s since 2000-01-01 UTC)."""
    from zarya.link.archive import Archive

    path = Path(path)
    if not path.exists():
        raise DoseFileError(path, None, "cannot read: no such archive")
    archive = Archive(path)
    try:
        rates = archive.series("rad_sample.dose_rate_gy_s")
        quality = archive.series("rad_sample.quality")
    finally:
        archive.close()
    if not rates:
        raise DoseFileError(path, None, "the archive holds no rad_sample telemetry")
    t = np.array([r[0] for r in rates])
    return DoseSeries(t, np.array([r[1] for r in rates]), np.array([q[1] for q in quality]), "archive:rad_sample",
                      lines=np.arange(1, len(t) + 1))
