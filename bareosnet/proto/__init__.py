"""Sans-IO Bareos protocol core.

Rule of this package: it never imports trio, ssl or socket.  Everything here
turns bytes into values and values into bytes; the transport in
:mod:`bareosnet.net` does the I/O.
"""
