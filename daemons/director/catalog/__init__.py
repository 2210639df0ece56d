"""The Director's catalog: the SQLite store, its records, and the restore selection.

* :mod:`.store`      the ``Catalog`` (schema, reads and writes);
* :mod:`.records`    the rows as attrs values and the job status sets;
* :mod:`.selection`  the files a restore reads and their bootstrap.
"""
