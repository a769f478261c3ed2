"""Renderers: plans, apply outcomes, verify reports and receivers' reports as text and Markdown for people.

What is rendered is data; rendering never decides anything, and prints nothing (the command layer does).
Imports: reports, run, verify and everything below them; never cli (and never click: colours are
`style`'s ANSI sequences, kept or dropped at the output boundary by `zonesync.base.escape.for_terminal`).
"""
