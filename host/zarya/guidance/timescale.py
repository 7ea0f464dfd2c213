"""Dates for the planner: UTC calendar dates and timezone-aware datetimes to TDB Julian dates.

TDB = TT to within 2 ms (the periodic terms are ignored: far below the ephemeris accuracy);
TT = TAI + 32.184 s; TAI - UTC from the IERS leap-second table (Bulletin C) since 1972.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from zarya.errors import ZaryaError
from zarya.units import DAY_S

J2000_JD = 2451545.0  # 2000-01-01 12:00 TDB
CENTURY_D = 36525.0  # Julian century, days

# (first UTC day of the value, TAI - UTC in s), IERS Bulletin C
LEAP_SECONDS = [
    (dt.date(1972, 1, 1), 10), (dt.date(1972, 7, 1), 11), (dt.date(1973, 1, 1), 12), (dt.date(1974, 1, 1), 13),
    (dt.date(1975, 1, 1), 14), (dt.date(1976, 1, 1), 15), (dt.date(1977, 1, 1), 16), (dt.date(1978, 1, 1), 17),
    (dt.date(1979, 1, 1), 18), (dt.date(1980, 1, 1), 19), (dt.date(1981, 7, 1), 20), (dt.date(1982, 7, 1), 21),
    (dt.date(1983, 7, 1), 22), (dt.date(1985, 7, 1), 23), (dt.date(1988, 1, 1), 24), (dt.date(1990, 1, 1), 25),
    (dt.date(1991, 1, 1), 26), (dt.date(1992, 7, 1), 27), (dt.date(1993, 7, 1), 28), (dt.date(1994, 7, 1), 29),
    (dt.date(1996, 1, 1), 30), (dt.date(1997, 7, 1), 31), (dt.date(1999, 1, 1), 32), (dt.date(2006, 1, 1), 33),
    (dt.date(2009, 1, 1), 34), (dt.date(2012, 7, 1), 35), (dt.date(2015, 7, 1), 36), (dt.date(2017, 1, 1), 37),
]
TT_MINUS_TAI_S = 32.184
J2000_UTC = dt.datetime(2000, 1, 1, 11, 58, 55, 816000, tzinfo=dt.UTC)  # = JD 2451545.0 TT


class DateError(ZaryaError, ValueError):
    """A date the planner cannot use."""


def tai_minus_utc_s(day: dt.date) -> int:
    if day < LEAP_SECONDS[0][0]:
        raise DateError(f"{day}: UTC before 1972 has no leap-second offset here; give a TDB Julian date instead")
    return next(value for start, value in reversed(LEAP_SECONDS) if day >= start)


def jd_tdb(when: dt.datetime | float) -> float:
    """TDB Julian date of a timezone-aware datetime (a float is taken as a TDB Julian date already)."""
    if not isinstance(when, dt.datetime):
        jd = float(when)
        if not math.isfinite(jd):
            raise DateError(f"not a finite Julian date: {when!r}")
        return jd
    if when.tzinfo is None or when.utcoffset() is None:
        raise DateError(f"{when.isoformat()}: give a timezone-aware datetime (UTC is assumed nowhere)")
    utc = when.astimezone(dt.UTC)
    tt_minus_utc = tai_minus_utc_s(utc.date()) + TT_MINUS_TAI_S
    return J2000_JD + ((utc - J2000_UTC).total_seconds() + tt_minus_utc - 64.184) / DAY_S


def utc_datetime(jd: float) -> dt.datetime:
    """The UTC datetime of a TDB Julian date (inverse of jd_tdb, to the microsecond)."""
    guess = J2000_UTC + dt.timedelta(seconds=(jd - J2000_JD) * DAY_S)
    offset = tai_minus_utc_s(guess.date()) + TT_MINUS_TAI_S - 64.184
    return guess - dt.timedelta(seconds=offset)


DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_date(text: str) -> float:
    """TDB Julian date of 'YYYY-MM-DD' (00:00 UTC), 'YYYY-MM-DDTHH:MM[:SS]' (UTC unless an offset
    is given) or a bare Julian date number such as 2461300.5."""
    text = text.strip()
    if re.fullmatch(r"\d{7}(\.\d*)?", text):
        return jd_tdb(float(text))
    if not DATE.match(text):
        raise DateError(f"not a date: {text!r} (use YYYY-MM-DD, YYYY-MM-DDTHH:MM or a Julian date)")
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise DateError(f"not a date: {text!r} ({err})") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return jd_tdb(when)


def date_text(jd: float) -> str:
    return utc_datetime(jd).strftime("%Y-%m-%d")
