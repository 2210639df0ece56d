"""The Director's jobs: what a job is, how each type runs, and the sessions it drives.

* :mod:`.control`     ``JobControl`` (Bareos's JCR), job statuses, ``JobKind``;
* :mod:`.manager`     the job queue (JobIds, tasks, concurrency limit, ``wait``);
* :mod:`.setup`       from a Job resource and console overrides to a ``JobControl``;
* :mod:`.backup`, :mod:`.restore`, :mod:`.copy`  the runners, in Bareos's order;
* :mod:`.common`      what the runners share (reaching the daemons, ``ssl=``, FileSet);
* :mod:`.data_phase`  the SD message threads and the FD side by side;
* :mod:`.fd_session`, :mod:`.sd_session`  the job connections to the File/Storage daemons;
* :mod:`.messages`    where job messages go (consoles, files, catalog);
* :mod:`.report`      the end-of-job report.
"""
