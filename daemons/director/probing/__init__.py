"""Reaching the File and Storage daemons: handshake-mode probing and the connections it uses.

* :mod:`.clients`          ``ConnectToFileDaemon`` with probing (pooled or outbound);
* :mod:`.handshake_modes`  which handshake reached each File daemon last (memory + file);
* :mod:`.client_pool`      client-initiated File daemon connections waiting for work;
* :mod:`.storages`         connecting to a Storage daemon;
* :mod:`.outbound`         TCP connect with Bareos's retry loop, then the handshake.
"""
