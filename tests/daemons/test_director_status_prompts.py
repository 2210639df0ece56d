"""``status`` without a daemon, a client or a storage asks, as the real Director does.

Each expected text was checked against a real Bareos 26 Director (bconsole's view).
"""

from __future__ import annotations

from tests.daemons.test_director_units import console_texts, runtime

CONFIG = """
Director { Name = bareos-dir; DirPort = 9101; Password = "s"; TLS Enable = no; TLS Require = no }
Client { Name = fd; Address = 127.0.0.1; Port = 1; Password = "p"; TLS Enable = no
         TLS Require = no }
Client { Name = Alpha; Address = 127.0.0.1; Port = 1; Password = "p"; TLS Enable = no
         TLS Require = no }
Storage { Name = File; Address = 127.0.0.1; Port = 1; Password = "p"; Device = D
          Media Type = File; TLS Enable = no; TLS Require = no }
Storage { Name = Tape; Address = 127.0.0.1; Port = 1; Password = "p"; Device = T
          Media Type = LTO; TLS Enable = no; TLS Require = no }
Catalog { Name = MyCatalog; DbName = bareos; DbUser = bareos }
Messages { Name = Standard }
"""




async def test_a_bare_status_asks_for_the_daemon_type() -> None:
    assert (await console_texts(runtime(CONFIG), "status"))[-1] == (
        "Status available for:\n1: Director\n2: Storage\n3: Client\n4: Scheduler\n5: All\n"
        "Select daemon type for status (1-5): "
    )


async def test_status_client_asks_for_the_client_sorted_without_case() -> None:
    prompt = ("The defined Client resources are:\n1: Alpha\n2: fd\n"
              "Select Client (File daemon) resource (1-2): ")  # fmt: skip
    assert (await console_texts(runtime(CONFIG), "status client"))[-1] == prompt
    # A wrong name is an error, then the same question.
    assert (await console_texts(runtime(CONFIG), "status client=nope"))[-1] == (
        "Error: Client resource nope does not exist.\n" + prompt
    )


async def test_status_storage_asks_and_bare_words_name_no_storage() -> None:
    prompt = "The defined Storage resources are:\n1: File\n2: Tape\nSelect Storage resource (1-2): "
    assert (await console_texts(runtime(CONFIG), "status storage"))[-1] == prompt
    assert (await console_texts(runtime(CONFIG), "status storage File"))[-1] == prompt
    assert (await console_texts(runtime(CONFIG), "status storage=nope"))[-1] == (
        'Storage resource "nope": not found\n' + prompt
    )
    assert (await console_texts(runtime(CONFIG), "status jobid=5"))[-1] == "JobId 5 is not running.\n"
