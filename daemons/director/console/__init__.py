"""The Director's console: sessions, the command table, and the commands.

* :mod:`.session`   one console connection (read, dispatch, frame the answer);
* :mod:`.registry`  the command table commands join by registration;
* :mod:`.commands`  the table in Bareos's order, with every command module loaded;
* :mod:`.basic`, :mod:`.job_commands`, :mod:`.resources`, :mod:`.status`  the commands;
* :mod:`.acl`, :mod:`.args`, :mod:`.output`  ACLs, argument parsing, text/JSON output.
"""
