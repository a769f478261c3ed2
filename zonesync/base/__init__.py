"""The ground floor every layer may use: how text from outside is shown (`escape`), counts and durations
in messages (`plural`), today's date (`clock`, overridable for tests), the heavy imports deferred until a
run needs them (`features`), and folders and files written for secrets (`secure_files`).

May import only the model (`zonesync.errors`, `zonesync.model`) and libraries.
"""
