"""What the window's action mixins (identify, recovery, reprint) need from ``Window``
(edge.window.window): its state, and the few methods only Window implements. Abstract here, so
a mixin used without them fails at construction rather than in the middle of a case."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the modules that use this base import these too
    from collections.abc import Awaitable, Callable

    from edge.window.parts import Draft, WindowParts
    from edge.window.steps import DeviceSteps
    from edge.window.task import StepTask
    from edge.workflow.context import Step
    from edge.workflow.model import Case, Command
    from protocol.catalog import Matter


class WindowBase(ABC):
    p: WindowParts
    case: Case | None
    last_closed: Case | None
    draft: Draft
    message: dict[str, str] | None
    steps: DeviceSteps
    _step: StepTask

    @abstractmethod
    async def _commit(self, cmd: Command) -> Step:
        """Apply one command to the open case: the one way a case moves on."""

    @abstractmethod
    def _start(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run a device step in the background."""

    @abstractmethod
    async def _stop_task(self) -> None:
        """Stop the device step in progress, if any."""

    @abstractmethod
    async def advance(self, *commands: Command) -> None:
        """A device step's transitions, in order, then the step of the state they lead to."""

    @abstractmethod
    def matters(self) -> dict[str, Matter]:
        """The matters of the running configuration."""
