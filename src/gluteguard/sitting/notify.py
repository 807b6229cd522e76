"""Show a break prompt on the desktop (edge). Never raises: when no notification service answers, the prompt is
printed to the terminal with one line saying why, and the CLI's own prompt takes the done/snooze answer.

Routes, in order:

1. ``desktop-notifier`` (Linux: the freedesktop D-Bus service; Windows: WinRT toasts; macOS: the Notification
   Center, only when Python runs from an app bundle). "Done" and "Snooze" buttons are added when the service
   supports actions; the answer is awaited for up to ``wait_s`` seconds while the process keeps the connection.
2. macOS without a bundle: ``osascript``'s ``display notification`` (no buttons).
3. The terminal.

Imports are lazy: nothing here costs start-up time until a prompt is actually shown.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

APP_NAME = "gluteguard"
DONE, SNOOZE = "done", "snooze"  # the answers, spelled as reminders.Event values
_CONNECT_TIMEOUT_S = 5.0
T = TypeVar("T")


@dataclass(frozen=True)
class NotifyResult:
    channel: str  # desktop | osascript | terminal
    buttons: bool  # Done/Snooze shown on the notification
    answer: str | None  # "done" | "snooze" | None (no answer within wait_s, dismissed, or no buttons)
    detail: str  # one line: what happened, or why the desktop was not used


class _Unavailable(RuntimeError):
    """No notification service to talk to; the message is the one-line reason."""


def _session_bus_reason() -> str | None:
    """Why there is no D-Bus session bus on Linux, or None when there seems to be one.

    A service started by systemd or from a plain SSH login may lack DBUS_SESSION_BUS_ADDRESS while the user's bus
    socket exists at the standard place; then the address is filled in so the library can find it.
    """
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    socket = Path(runtime) / "bus"
    if socket.exists():
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={socket}"
        return None
    return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set and there is no user bus socket)"


async def _connect(app_name: str) -> tuple[Any, frozenset[Any]]:
    """A notifier and what its service can do; _Unavailable with the reason when there is no service."""
    if sys.platform.startswith("linux") and (reason := _session_bus_reason()):
        raise _Unavailable(reason)
    try:
        from desktop_notifier import DesktopNotifier
    except ImportError as exc:
        raise _Unavailable("the desktop-notifier package is not installed") from exc
    notifier = DesktopNotifier(app_name=app_name)
    try:
        capabilities = await asyncio.wait_for(notifier.get_capabilities(), _CONNECT_TIMEOUT_S)
    except TimeoutError as exc:
        raise _Unavailable(f"the notification service did not answer within {_CONNECT_TIMEOUT_S:g} s") from exc
    except Exception as exc:  # the library raises whatever its backend raises (D-Bus errors, OS errors)
        raise _Unavailable(f"no notification service ({type(exc).__name__}: {exc})") from exc
    if not capabilities:  # desktop-notifier's stand-in backend (macOS outside an app bundle, unknown systems)
        raise _Unavailable("this platform's notification centre is not reachable from here")
    return notifier, capabilities


async def _desktop(title: str, body: str, wait_s: float, app_name: str) -> NotifyResult:
    notifier, capabilities = await _connect(app_name)
    from desktop_notifier import Button, Capability  # importable: _connect succeeded

    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str | None] = loop.create_future()
    dispatched: list[bool] = []

    def settle(value: str | None) -> Any:
        return lambda: None if answer.done() else answer.set_result(value)

    buttons = Capability.BUTTONS in capabilities
    await notifier.send(
        title,
        body,
        buttons=(Button("Done", on_pressed=settle(DONE)), Button("Snooze", on_pressed=settle(SNOOZE)))
        if buttons
        else (),
        on_dispatched=lambda: dispatched.append(True),
        on_dismissed=settle(None),
    )
    if not dispatched:  # the library logs send failures instead of raising them
        raise _Unavailable("the notification service did not accept the notification")
    got: str | None = None
    if buttons and wait_s > 0:
        try:
            got = await asyncio.wait_for(answer, wait_s)
        except TimeoutError:
            got = None
    detail = "shown with Done/Snooze" if buttons else "shown (this notification service has no buttons)"
    return NotifyResult("desktop", buttons, got, detail)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run the coroutine to the end, also when the caller already runs an event loop in this thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _osascript(title: str, body: str) -> NotifyResult | None:
    """macOS's own banner via AppleScript; texts go in as arguments, so no quoting of user text is involved."""
    script = "on run argv\ndisplay notification (item 2 of argv) with title (item 1 of argv)\nend run"
    try:
        done = subprocess.run(["osascript", "-e", script, title, body], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return NotifyResult("osascript", False, None, "shown by osascript (no buttons: answer in the terminal)")


def send_reminder(
    title: str, body: str, *, wait_s: float = 0.0, stream: TextIO | None = None, app_name: str = APP_NAME
) -> NotifyResult:
    """Show one break prompt; wait up to ``wait_s`` seconds for a Done/Snooze click when buttons are shown.

    Never raises for a missing or broken notification service: the prompt then goes to ``stream`` (stdout).
    """
    try:
        return _run(_desktop(title, body, wait_s, app_name))
    except _Unavailable as exc:
        reason = str(exc)
    except Exception as exc:  # a notification must never take the reminder loop down
        reason = f"desktop notification failed ({type(exc).__name__}: {exc})"
    if sys.platform == "darwin" and (shown := _osascript(title, body)) is not None:
        return shown
    out = stream if stream is not None else sys.stdout
    print(f"{title}: {body}", file=out)
    print(f"(no desktop notification: {reason})", file=out, flush=True)
    return NotifyResult("terminal", False, None, reason)


def check_service(app_name: str = APP_NAME) -> tuple[bool, str]:
    """Whether desktop notifications can be shown here, and a one-line explanation (for ``remind --check``)."""

    async def probe() -> tuple[bool, str]:
        try:
            _, capabilities = await _connect(app_name)
        except _Unavailable as exc:
            return False, str(exc)
        from desktop_notifier import Capability

        buttons = "with Done/Snooze buttons" if Capability.BUTTONS in capabilities else "without buttons"
        return True, f"desktop notifications {buttons}"

    return _run(probe())
