"""The accelerated clock of a simulated working day: 08:30-17:30 of simulated time played in a
few minutes of wall time. Everything scheduled in a day (arrivals, offline episodes, faults) is
in simulated seconds since the window opens; the clock maps them to wall time and back."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

OPENS_H = 8.5  # 08:30
CLOSES_H = 17.5  # 17:30
DAY_S = (CLOSES_H - OPENS_H) * 3600.0
CHINA = timezone(timedelta(hours=8))  # the county's local time, for the day's labels


def speed_for(day_minutes: float) -> float:
    """The acceleration that plays the working day in ``day_minutes`` of wall time."""
    if day_minutes <= 0:
        raise ValueError("a day needs a positive number of minutes")
    return DAY_S / (day_minutes * 60.0)


@dataclass(frozen=True)
class DayClock:
    start_wall: float  # time.time() when the window opens (08:30 simulated)
    speed: float  # simulated seconds per wall second

    def wall(self, sim_s: float) -> float:
        return self.start_wall + sim_s / self.speed

    def sim(self, wall: float) -> float:
        return (wall - self.start_wall) * self.speed

    def now_sim(self) -> float:
        return self.sim(time.time())

    def hour_of(self, wall: float) -> float:
        """The simulated local hour (8.5 = 08:30) at a wall time."""
        return OPENS_H + self.sim(wall) / 3600.0

    def wall_seconds(self, sim_s: float) -> float:
        """A simulated duration in wall seconds."""
        return sim_s / self.speed

    def end_wall(self) -> float:
        return self.wall(DAY_S)


def label(sim_s: float) -> str:
    """08:30 + sim_s as HH:MM, for the report."""
    minutes = int(OPENS_H * 60 + sim_s / 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def wall_datetime(wall: float) -> datetime:
    return datetime.fromtimestamp(wall, UTC)
