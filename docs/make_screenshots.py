"""The README's screenshots: the real window offscreen, with its embedded devnet, a few transfers
and a local cluster of a producer and two followers (throwaway data in a temporary folder).

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"


async def shoot(data: Path) -> None:
    from main import Composition, Options

    deck = Composition(Options(data_dir=data, ephemeral=True))
    window = deck.window
    window.resize(1360, 860)
    window.show()
    await deck.start()
    while len(deck.wallets.wallets) < 10:
        await asyncio.sleep(0.2)
    for n in range(12):
        await deck.wallets.send(f"wallet{n % 10 + 1}", f"wallet{(n + 3) % 10 + 1}", 1 + n, None)
        await asyncio.sleep(0.3)
    await deck.fleet.start_local("lab", 2)
    await asyncio.sleep(8)  # a few seconds of health history

    async def save(name: str, seconds: float = 1.5) -> None:
        await asyncio.sleep(seconds)
        window.grab().save(str(OUT / f"{name}.png"))

    window.tabs.setCurrentWidget(window.dashboard_panel)
    await save("dashboard")
    window.show_transactions()
    await save("transactions")
    window.tabs.setCurrentWidget(window.wallets_panel)
    await save("wallets")
    window.tabs.setCurrentWidget(window.fleet_panel)
    window.fleet_panel._select("lab")
    await save("fleet", 3)
    window.show_health("lab follower 1")
    await save("health", 2)
    window.tabs.setCurrentWidget(window.tests_panel)
    await save("tests")
    await deck.fleet.stop_local("lab")
    await deck.stop()


def main() -> None:
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data, loop:
        loop.run_until_complete(shoot(Path(data)))


if __name__ == "__main__":
    main()
