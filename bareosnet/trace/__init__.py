"""Handshake traces: what happened on each connection, as JSON lines, and diagrams of it.

``events`` holds the documented trace schema (sans-IO), ``steps`` names the
cleartext handshake packets, ``switch`` is the on/off flag the emit points
check, ``diagram`` merges the daemons' traces into a sequence diagram and
``render`` draws it as text, Mermaid or SVG.  ``pcap`` builds the same events
from captured packets.  See ``docs/trace.md``.
"""
