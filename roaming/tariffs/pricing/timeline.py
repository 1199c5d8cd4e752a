"""The charging timeline a session is priced from (the input of mod_tariffs.asciidoc pricing; reference §6 "Input").

A :class:`Timeline` is the session span ``[start, end)`` in UTC, the location's IANA time zone, an optional
:class:`Reservation` before it, and a sequence of :class:`Interval` pieces covering the session. Inside one interval
the state is taken as constant: energy flows uniformly (linear interpolation), power and current stay within the
interval's ``[min, max]`` and the vehicle is either requesting power (``charging``: billed as TIME) or not (billed
as PARKING_TIME — the post-d2 erratum of mod_cdrs.asciidoc §CdrDimensionType defines PARKING_TIME as "the vehicle is
not requesting power", so an EVSE that pauses delivery while the car still asks for power is still TIME).

Gaps between intervals are filled with parking intervals (vehicle connected, not requesting power, no energy).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from roaming.core.time import get_zone
from roaming.ocpi.datetimes import to_utc

from .money import ZERO, to_decimal

HOUR = Decimal(3600)


def _as_utc(value: Any) -> dt.datetime:
    return to_utc(value)


def _opt(value: Any) -> Decimal | None:
    return None if value is None else to_decimal(value)


def _as_timedelta(value: Any) -> dt.timedelta:
    """``timedelta`` as is; a bare number is minutes."""
    if value is None:
        return dt.timedelta(0)
    if isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(minutes=float(to_decimal(value)))


def seconds_between(start: dt.datetime, end: dt.datetime) -> Decimal:
    """Exact seconds (microsecond resolution) from ``start`` to ``end``."""
    delta = end - start
    # One Decimal operation: the same value and exponent (-6) as whole seconds plus scaled microseconds.
    return Decimal((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds).scaleb(-6)


_OPTIONAL_NUMBERS = ("power_kw", "current_a", "min_power_kw", "max_power_kw", "min_current_a", "max_current_a")


@dataclass(frozen=True, slots=True)
class Interval:
    """A piece of the session with constant state.

    ``energy_kwh`` is the energy delivered during the piece; ``charging`` says whether the vehicle requested power
    (``None`` → ``energy_kwh > 0``). ``power_kw``/``current_a`` give a constant value; ``min_*``/``max_*`` give a range
    (as in a CDR ChargingPeriod's MIN_/MAX_ dimensions) and take precedence. Without any power figure the average
    power ``energy / hours`` is used; parking pieces default to 0 kW / 0 A. Unknown current stays ``None``: current
    restrictions then do not match (the engine reports a warning).
    """

    start: dt.datetime
    end: dt.datetime
    energy_kwh: Decimal = ZERO
    charging: bool | None = None
    power_kw: Decimal | None = None
    current_a: Decimal | None = None
    min_power_kw: Decimal | None = None
    max_power_kw: Decimal | None = None
    min_current_a: Decimal | None = None
    max_current_a: Decimal | None = None

    def __post_init__(self) -> None:
        # Built tens of times per priced session (and again by ``resolved``): values already in the wanted form
        # (UTC datetimes, non-zero Decimals, None) are kept as they are, without a conversion call each.
        set_ = object.__setattr__
        start, end = self.start, self.end
        if start.__class__ is not dt.datetime or start.tzinfo is not dt.UTC:
            start = _as_utc(start)
            set_(self, "start", start)
        if end.__class__ is not dt.datetime or end.tzinfo is not dt.UTC:
            end = _as_utc(end)
            set_(self, "end", end)
        if end < start:
            raise ValueError(f"interval ends before it starts: {start} > {end}")
        energy = self.energy_kwh
        if energy.__class__ is not Decimal or not energy:  # a zero of any exponent becomes Decimal(0), as before
            set_(self, "energy_kwh", to_decimal(energy or 0))
        for name in _OPTIONAL_NUMBERS:
            value = getattr(self, name)
            if value is not None and value.__class__ is not Decimal:
                set_(self, name, to_decimal(value))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Interval:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def seconds(self) -> Decimal:
        return seconds_between(self.start, self.end)

    def resolved(self) -> Interval:
        """Copy with ``charging`` and the min/max power/current ranges filled in (see class docstring)."""
        charging = self.charging if self.charging is not None else self.energy_kwh > 0
        min_p, max_p = self.min_power_kw, self.max_power_kw
        if min_p is None and max_p is None:
            if self.power_kw is not None:
                min_p = max_p = self.power_kw
            elif charging and self.seconds > 0:
                min_p = max_p = self.energy_kwh * HOUR / self.seconds
            elif not charging:
                min_p = max_p = ZERO
        min_p = max_p if min_p is None else min_p
        max_p = min_p if max_p is None else max_p
        min_c, max_c = self.min_current_a, self.max_current_a
        if min_c is None and max_c is None:
            if self.current_a is not None:
                min_c = max_c = self.current_a
            elif not charging:
                min_c = max_c = ZERO
        min_c = max_c if min_c is None else min_c
        max_c = min_c if max_c is None else max_c
        # ``self`` passed ``__post_init__`` and the new values are Decimals (or None) worked out from its own, so the
        # copy skips it: ``dataclasses.replace`` ran ``__init__`` and ``__post_init__`` again, which with the
        # getattr of every field cost half of a live session's pricing (one interval per meter reading).
        copy = object.__new__(Interval)
        set_ = object.__setattr__
        set_(copy, "start", self.start)
        set_(copy, "end", self.end)
        set_(copy, "energy_kwh", self.energy_kwh)
        set_(copy, "charging", charging)
        set_(copy, "power_kw", self.power_kw)
        set_(copy, "current_a", self.current_a)
        set_(copy, "min_power_kw", min_p)
        set_(copy, "max_power_kw", max_p)
        set_(copy, "min_current_a", min_c)
        set_(copy, "max_current_a", max_c)
        return copy


@dataclass(frozen=True, slots=True)
class Reservation:
    """A reservation before the session (mod_tariffs.asciidoc §TariffRestrictions ``reservation``): it starts when
    made and ends when charging starts (``end`` = session start) or when it expires (``expired=True``, no session)."""

    start: dt.datetime
    end: dt.datetime
    expired: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _as_utc(self.start))
        object.__setattr__(self, "end", _as_utc(self.end))
        if self.end < self.start:
            raise ValueError("reservation ends before it starts")

    @property
    def seconds(self) -> Decimal:
        return seconds_between(self.start, self.end)


def fill_gaps(
    pieces: Iterable[Interval], cursor: dt.datetime, end: dt.datetime | None = None
) -> tuple[list[Interval], dt.datetime]:
    """``pieces`` (in time order) from ``cursor`` on, a parking interval in each gap before one, and where they end.
    Raises ``ValueError`` for a piece that starts before ``cursor`` or the previous piece's end, or ends after
    ``end``."""
    filled: list[Interval] = []
    for piece in pieces:
        if piece.start < cursor:
            raise ValueError(f"intervals overlap or start before the session: {piece.start} < {cursor}")
        if end is not None and piece.end > end:
            raise ValueError(f"interval ends after the session end: {piece.end} > {end}")
        if piece.start > cursor:
            filled.append(Interval(cursor, piece.start, charging=False))
        filled.append(piece)
        cursor = piece.end
    return filled, cursor


@dataclass(frozen=True)
class Timeline:
    """A session to price: ``[start, end)`` (UTC), intervals covering it, the location's IANA ``time_zone`` and an
    optional reservation. Construction sorts, validates and gap-fills the intervals (gaps become parking)."""

    start: dt.datetime
    end: dt.datetime
    intervals: tuple[Interval, ...] = ()
    time_zone: str = "UTC"
    reservation: Reservation | None = None

    def __post_init__(self) -> None:
        start, end = _as_utc(self.start), _as_utc(self.end)
        if end < start:
            raise ValueError(f"session ends before it starts: {start} > {end}")
        get_zone(self.time_zone)  # fail early on an unknown zone
        pieces = sorted((i if isinstance(i, Interval) else Interval.from_dict(i) for i in self.intervals), key=_key)
        filled, cursor = fill_gaps(pieces, start, end)
        if cursor < end:
            filled.append(Interval(cursor, end, charging=False))
        reservation = self.reservation
        if reservation is not None:
            if reservation.expired and (end > start or pieces):
                raise ValueError("an expired reservation cannot be followed by a session")
            if not reservation.expired and reservation.end != start:
                raise ValueError("a used reservation must end when the session starts")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "intervals", tuple(i.resolved() for i in filled))

    # ----------------------------------------------------------------------------------------------- builders

    @classmethod
    def from_intervals(
        cls,
        intervals: Iterable[Interval | Mapping[str, Any]],
        *,
        time_zone: str = "UTC",
        start: Any = None,
        end: Any = None,
        reservation: Reservation | None = None,
    ) -> Timeline:
        """Build from intervals (``Interval`` objects or dicts with the same keys); ``start``/``end`` default to the
        first interval's start and the last interval's end."""
        pieces = [i if isinstance(i, Interval) else Interval.from_dict(i) for i in intervals]
        if not pieces and (start is None or end is None):
            raise ValueError("no intervals and no start/end given")
        first = _as_utc(start) if start is not None else min(p.start for p in pieces)
        last = _as_utc(end) if end is not None else max(p.end for p in pieces)
        return cls(first, last, tuple(pieces), time_zone, reservation)

    @classmethod
    def constant_charge(
        cls,
        start: Any,
        *,
        energy_kwh: Any = None,
        power_kw: Any = None,
        duration: Any = None,
        parking: Any = None,
        time_zone: str = "UTC",
        current_a: Any = None,
        reserved_for: Any = None,
    ) -> Timeline:
        """The admin calculator's session: charge at constant power from ``start``, then park.

        Give two of ``energy_kwh``, ``power_kw`` and ``duration`` (timedelta, or minutes as a number); the third is
        derived. ``duration`` alone means charging time without energy (e.g. for a TIME-only tariff). ``parking``
        (timedelta or minutes) follows the charging; ``reserved_for`` (timedelta or minutes) adds a used reservation
        made that long before ``start``.
        """
        begin = _as_utc(start)
        energy = _opt(energy_kwh)
        power = _opt(power_kw)
        if duration is not None:
            span = _as_timedelta(duration)
        elif energy is not None and power:
            span = dt.timedelta(seconds=float(energy / power * HOUR))
        else:
            raise ValueError("give two of energy_kwh, power_kw and duration")
        hours = seconds_between(begin, begin + span) / HOUR
        if energy is None:
            energy = power * hours if power is not None else ZERO
        if power is None and hours > 0 and energy:
            power = energy / hours
        charge_end = begin + span
        session_end = charge_end + _as_timedelta(parking)
        pieces = []
        if span:
            pieces.append(Interval(begin, charge_end, energy, charging=True, power_kw=power, current_a=current_a))
        reservation = None
        if reserved_for is not None:
            reservation = Reservation(begin - _as_timedelta(reserved_for), begin)
        return cls(begin, session_end, tuple(pieces), time_zone, reservation)

    @classmethod
    def expired_reservation(cls, start: Any, end: Any, *, time_zone: str = "UTC") -> Timeline:
        """A reservation from ``start`` that expired at ``end`` without a charging session."""
        expiry = _as_utc(end)
        return cls(expiry, expiry, (), time_zone, Reservation(_as_utc(start), expiry, expired=True))

    @classmethod
    def from_charging_periods(
        cls,
        periods: Sequence[Mapping[str, Any]],
        *,
        end: Any,
        time_zone: str = "UTC",
    ) -> Timeline:
        """Build from OCPI ChargingPeriods (mod_cdrs.asciidoc §ChargingPeriod, §CdrDimensionType).

        Each period runs until the next one starts (the last until ``end``). Dimensions used: ENERGY (else
        ENERGY_IMPORT), TIME, PARKING_TIME, RESERVATION_TIME, MIN_/MAX_POWER (else POWER), MIN_/MAX_CURRENT (else
        CURRENT). A period with exactly one of TIME / PARKING_TIME / RESERVATION_TIME is entirely of that kind (its
        wall-clock length is used, not the rounded volume); with none of them it is charging when it has energy and
        parking otherwise; with several, its wall-clock time is split in the order reservation → charging → parking
        in proportion to the volumes. Reservation time must precede the session; a CDR with only reservation time is
        an expired reservation. Other dimensions (session-only STATE_OF_CHARGE, ENERGY_EXPORT, the 2.1.1 FLAT
        dimension, …) do not describe the timeline and are ignored.
        """
        session_end = _as_utc(end)
        ordered = sorted(periods, key=lambda p: _as_utc(p["start_date_time"]))
        segments: list[tuple[str, Interval]] = []
        for index, period in enumerate(ordered):
            p_start = _as_utc(period["start_date_time"])
            p_end = _as_utc(ordered[index + 1]["start_date_time"]) if index + 1 < len(ordered) else session_end
            if p_end < p_start:
                raise ValueError(f"charging period {p_start} starts after the session end {p_end}")
            segments.extend(_split_period(p_start, p_end, _dimensions(period)))
        reservation_parts = [iv for kind, iv in segments if kind == "RESERVATION"]
        session_parts = [iv for kind, iv in segments if kind != "RESERVATION"]
        if reservation_parts and session_parts and reservation_parts[-1].end > session_parts[0].start:
            raise ValueError("RESERVATION_TIME after the session started is not supported")
        if reservation_parts and not session_parts:
            return cls.expired_reservation(reservation_parts[0].start, session_end, time_zone=time_zone)
        reservation = None
        if reservation_parts:
            reservation = Reservation(reservation_parts[0].start, session_parts[0].start)
        if not session_parts:
            start = _as_utc(ordered[0]["start_date_time"]) if ordered else session_end
            return cls(start, max(start, session_end), (), time_zone, None)
        return cls(session_parts[0].start, session_end, tuple(session_parts), time_zone, reservation)

    # ----------------------------------------------------------------------------------------------- facts

    @property
    def seconds(self) -> Decimal:
        return seconds_between(self.start, self.end)

    @property
    def total_energy_kwh(self) -> Decimal:
        return sum((i.energy_kwh for i in self.intervals), ZERO)

    def extended(self, extra: dt.timedelta) -> Timeline:
        """This timeline with its last interval (and the session) lasting ``extra`` longer, same power/energy rate."""
        if not self.intervals:
            raise ValueError("nothing to extend")
        last = self.intervals[-1]
        seconds = last.seconds
        added = seconds_between(last.end, last.end + extra)
        energy = last.energy_kwh + (last.energy_kwh * added / seconds if seconds else ZERO)
        grown = replace(last, end=last.end + extra, energy_kwh=energy)
        return replace(self, end=self.end + extra, intervals=(*self.intervals[:-1], grown))


def _key(interval: Interval) -> tuple[dt.datetime, dt.datetime]:
    return interval.start, interval.end


def _dimensions(period: Mapping[str, Any]) -> dict[str, Decimal]:
    dims: dict[str, Decimal] = {}
    for dim in period.get("dimensions") or ():
        kind = str(dim.get("type", "")).upper()
        if not kind or dim.get("volume") is None:
            continue
        value = to_decimal(dim["volume"])
        if kind in ("MIN_POWER", "MIN_CURRENT"):
            dims[kind] = min(dims.get(kind, value), value)
        elif kind in ("MAX_POWER", "MAX_CURRENT"):
            dims[kind] = max(dims.get(kind, value), value)
        else:
            dims[kind] = dims.get(kind, ZERO) + value
    return dims


def _split_period(start: dt.datetime, end: dt.datetime, dims: dict[str, Decimal]) -> list[tuple[str, Interval]]:
    energy = dims.get("ENERGY", dims.get("ENERGY_IMPORT", ZERO))
    volumes = {
        "RESERVATION": dims.get("RESERVATION_TIME", ZERO),
        "CHARGING": dims.get("TIME", ZERO),
        "PARKING": dims.get("PARKING_TIME", ZERO),
    }
    present = [kind for kind, volume in volumes.items() if volume > 0]
    if not present:
        present = ["CHARGING" if energy > 0 or "TIME" in dims else "PARKING"]
    min_p = dims.get("MIN_POWER", dims.get("POWER"))
    max_p = dims.get("MAX_POWER", dims.get("POWER"))
    min_c = dims.get("MIN_CURRENT", dims.get("CURRENT"))
    max_c = dims.get("MAX_CURRENT", dims.get("CURRENT"))

    def make(kind: str, a: dt.datetime, b: dt.datetime) -> Interval:
        if kind == "CHARGING":
            return Interval(a, b, energy, True, None, None, min_p, max_p, min_c, max_c)
        # Energy in a pure parking period is kept (it is priced as ENERGY) but the piece stays PARKING_TIME.
        return Interval(a, b, energy if kind == "PARKING" and len(present) == 1 else ZERO, False)

    if len(present) == 1:
        return [(present[0], make(present[0], start, end))]
    total = sum(volumes[k] for k in present)
    length = seconds_between(start, end)
    out = []
    cursor = start
    for n, kind in enumerate(present):
        share = dt.timedelta(seconds=float(length * volumes[kind] / total))
        nxt = end if n == len(present) - 1 else cursor + share
        out.append((kind, make(kind, cursor, nxt)))
        cursor = nxt
    return out
