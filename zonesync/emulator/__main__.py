"""``python -m zonesync.emulator``: the same command as ``zonesync emulator``."""

from zonesync.emulator.command import emulator

if __name__ == "__main__":
    emulator()
