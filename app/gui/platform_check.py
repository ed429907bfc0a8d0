"""Can a window open here? Asked before Qt is touched, because Qt's own answer to "no" is to abort the process.

Without a display, or on a desktop that lacks one of the X11 libraries Qt's xcb plugin needs (libxcb-cursor0
is the usual one on a fresh Debian or Ubuntu), `QApplication()` prints a plugin message and dumps core.
`window_problem()` finds those cases first, from the environment and from the plugin's library
dependencies (`ldd`), then confirms with a short-lived child process that really starts Qt's GUI, so the
parent never crashes. The answer is a few lines naming the cause and the fix. Imports no Qt itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# Platforms that need no screen at all.
SCREENLESS_PLATFORMS = frozenset({"offscreen", "minimal", "vnc", "linuxfb", "eglfs", "minimalegl", "vkkhrdisplay"})
# Debian/Ubuntu packages of the libraries Qt 6's xcb plugin most often misses on a bare system.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libX11-xcb.so.1": "libx11-xcb1",
}
PROBE_CODE = "from PySide6.QtGui import QGuiApplication; app = QGuiApplication(['probe']); print(app.platformName())"
PROBE_TIMEOUT_S = 30.0


def debian_package(library: str) -> str:
    """The Debian/Ubuntu package that ships `library` (libfoo.so.1 -> libfoo1 when not in the table)."""
    if library in DEBIAN_PACKAGES:
        return DEBIAN_PACKAGES[library]
    match = re.fullmatch(r"(lib[\w.+-]+?)\.so\.(\d+)", library)
    if not match:
        return library
    name, version = match.groups()
    return f"{name.lower()}{'-' if name[-1].isdigit() else ''}{version}"


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin, found without importing Qt."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    plugin = Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path) -> list[str]:
    """Libraries `ldd` cannot find for the plugin (empty when ldd is unavailable)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        listing = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted({line.split("=>")[0].strip() for line in listing.splitlines() if "not found" in line})


def _chosen_platform(env: Mapping[str, str]) -> str:
    return env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()


def environment_problem(env: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """The problem the environment alone shows (no display; missing xcb libraries), or None."""
    chosen = _chosen_platform(env)
    if chosen in SCREENLESS_PLATFORMS or not platform.startswith("linux"):
        return None
    wants_xcb = chosen == "xcb" or (chosen == "" and not env.get("WAYLAND_DISPLAY"))
    if chosen == "wayland" and not env.get("WAYLAND_DISPLAY"):
        return (
            "cannot open the window: QT_QPA_PLATFORM=wayland but WAYLAND_DISPLAY is not set\n"
            "  run it inside a Wayland session, or use --headless (results.csv and annotated.mp4, no window)"
        )
    if wants_xcb and not env.get("DISPLAY"):
        return (
            "cannot open the window: no display (DISPLAY is not set)\n"
            "  use --headless to write results.csv and annotated.mp4 without a window,\n"
            "  or a virtual display: xvfb-run tpmri-live ... (Debian/Ubuntu: sudo apt install xvfb)"
        )
    plugin = xcb_plugin() if wants_xcb else None
    missing = missing_libraries(plugin) if plugin is not None else []
    if missing:
        packages = " ".join(sorted({debian_package(library) for library in missing}))
        return (
            f"cannot open the window: Qt's X11 (xcb) plugin needs {', '.join(missing)}, not installed here\n"
            f"  install: sudo apt install {packages} (Debian/Ubuntu), or use --headless"
        )
    return None


def probe_problem(env: Mapping[str, str], timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """Start Qt's GUI in a child process; its failure (even a core dump) becomes a message here."""
    try:
        completed = subprocess.run(
            [sys.executable, "-c", PROBE_CODE], capture_output=True, text=True, timeout=timeout_s, env=dict(env)
        )
    except subprocess.TimeoutExpired:
        return f"cannot open the window: Qt did not start within {timeout_s:.0f} s\n  check the display, or use --headless"
    except OSError as error:
        return f"cannot open the window: could not start a check ({error})\n  use --headless"
    if completed.returncode == 0:
        return None
    lines = [line.strip() for line in completed.stderr.splitlines() if line.strip()]
    qt_lines = [line for line in lines if "qt.qpa" in line or "platform plugin" in line or "display" in line.lower()]
    cause = (qt_lines or lines or [f"exit status {completed.returncode}"])[0][:200]
    display = env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or "unset"
    return (
        f"cannot open the window: Qt could not start ({cause})\n"
        f"  check the display ({display}) and Qt's libraries, or use --headless"
    )


def window_problem(env: Mapping[str, str] | None = None) -> str | None:
    """None when a window can open; else one to four lines naming the cause and the fix."""
    env = os.environ if env is None else env
    problem = environment_problem(env)
    if problem is not None or _chosen_platform(env) in SCREENLESS_PLATFORMS:
        return problem
    return probe_problem(env)
