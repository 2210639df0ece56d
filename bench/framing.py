"""Throughput of the sans-IO framing and CRAM code (prints numbers, asserts nothing)."""

from __future__ import annotations

import time

from bareosnet.proto import cram
from bareosnet.proto.framing import FrameDecoder, encode_packet


def bench_decode(payload_size: int, count: int) -> None:
    wire = encode_packet(b"x" * payload_size) * count
    dec = FrameDecoder()
    t0 = time.perf_counter()
    for i in range(0, len(wire), 65536):
        dec.feed(wire[i : i + 65536])
        for _ in dec.frames():
            pass
    dt = time.perf_counter() - t0
    print(f"decode {payload_size:>7}-byte packets: {count / dt:>10.0f} packets/s, "
          f"{len(wire) / dt / 1e6:8.1f} MB/s")  # fmt: skip


def bench_encode(payload_size: int, count: int) -> None:
    data = b"x" * payload_size
    t0 = time.perf_counter()
    for _ in range(count):
        encode_packet(data)
    dt = time.perf_counter() - t0
    print(f"encode {payload_size:>7}-byte packets: {count / dt:>10.0f} packets/s")


def bench_cram(count: int) -> None:
    key = cram.password_key("secret")
    ch = cram.new_challenge("R_DIRECTOR::bareos-dir", 2)
    t0 = time.perf_counter()
    for _ in range(count):
        cram.verify_response(key, ch, cram.response_packet(key, ch))
    dt = time.perf_counter() - t0
    print(f"CRAM-MD5 answer+verify: {count / dt:>10.0f} /s")


if __name__ == "__main__":
    for size, n in ((20, 200_000), (1024, 100_000), (65536, 5_000), (999_996, 200)):
        bench_encode(size, n)
        bench_decode(size, n)
    bench_cram(50_000)
