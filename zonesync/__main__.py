from zonesync.cli import main

main()
