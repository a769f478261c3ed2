"""``python -m zonesync.emulator``: the same command as ``zonesync emulator``."""

from zonesync.cli.emulator import emulator

if __name__ == "__main__":
    emulator()
