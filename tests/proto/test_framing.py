import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.errors import OversizePacketError
from bareosnet.proto.framing import (
    MAX_MESSAGE_LENGTH,
    MAX_PACKET_SIZE,
    FrameDecoder,
    Packet,
    SignalFrame,
    UnknownSignalError,
    encode_message,
    encode_packet,
    encode_signal,
)
from bareosnet.proto.signals import Signal

# Reference section 1.3: every signal by name and number.
SIGNALS = {
    "EOD": -1, "EOD_POLL": -2, "STATUS": -3, "TERMINATE": -4, "POLL": -5, "HEARTBEAT": -6,
    "HB_RESPONSE": -7, "XXXXXXPROMPT": -8, "BTIME": -9, "BREAK": -10, "START_SELECT": -11,
    "END_SELECT": -12, "INVALID_CMD": -13, "CMD_FAILED": -14, "CMD_OK": -15, "CMD_BEGIN": -16,
    "MSGS_PENDING": -17, "MAIN_PROMPT": -18, "SELECT_INPUT": -19, "WARNING_MSG": -20,
    "ERROR_MSG": -21, "INFO_MSG": -22, "RUN_CMD": -23, "YESNO": -24, "START_RTREE": -25,
    "END_RTREE": -26, "SUB_PROMPT": -27, "TEXT_INPUT": -28,
}  # fmt: skip


def test_every_signal_by_name_and_number():
    assert {s.name: s.value for s in Signal} == SIGNALS


@pytest.mark.parametrize(
    "signal,wire",
    [
        (Signal.EOD, "ffffffff"),
        (Signal.TERMINATE, "fffffffc"),
        (Signal.POLL, "fffffffb"),
        (Signal.HEARTBEAT, "fffffffa"),
        (Signal.HB_RESPONSE, "fffffff9"),
        (Signal.BTIME, "fffffff7"),
        (Signal.CMD_BEGIN, "fffffff0"),
        (Signal.CMD_OK, "fffffff1"),
        (Signal.CMD_FAILED, "fffffff2"),
        (Signal.MAIN_PROMPT, "ffffffee"),
        (Signal.SUB_PROMPT, "ffffffe5"),
    ],
)
def test_signal_wire_bytes(signal, wire):
    assert encode_signal(signal).hex() == wire


def test_reference_packet_examples():
    assert encode_packet(b"1000 OK auth\n").hex(" ") == "00 00 00 0d 31 30 30 30 20 4f 4b 20 61 75 74 68 0a"
    assert encode_packet(b"Hello Director bareos-dir calling\n")[:4] == b"\x00\x00\x00\x22"
    assert encode_packet(b"") == b"\x00\x00\x00\x00"


def test_decoder_yields_packets_signals_and_empty():
    dec = FrameDecoder()
    dec.feed(encode_packet(b"abc") + encode_signal(Signal.EOD) + encode_packet(b""))
    assert list(dec.frames()) == [Packet(b"abc"), SignalFrame(Signal.EOD), Packet(b"")]
    assert dec.buffered == 0


def test_oversize_header_is_typed_error_and_sticky():
    dec = FrameDecoder()
    # The first bytes of a TLS ClientHello read as a length of 369 million.
    dec.feed(bytes.fromhex("1603010244") + b"\x00" * 10)
    with pytest.raises(OversizePacketError) as info:
        dec.next_frame()
    assert info.value.length == 0x16030102
    with pytest.raises(OversizePacketError):
        dec.feed(b"more")


def test_cap_is_inclusive():
    dec = FrameDecoder()
    dec.feed(struct.pack("!i", MAX_PACKET_SIZE))
    assert dec.next_frame() is None  # allowed, waiting for payload
    dec2 = FrameDecoder()
    dec2.feed(struct.pack("!i", MAX_PACKET_SIZE + 1))
    with pytest.raises(OversizePacketError):
        dec2.next_frame()


def test_unknown_signal_rejected():
    dec = FrameDecoder()
    dec.feed(struct.pack("!i", -1000))
    with pytest.raises(UnknownSignalError):
        dec.next_frame()


def test_long_message_is_cut_like_bareos():
    data = b"x" * (MAX_MESSAGE_LENGTH + 10)
    dec = FrameDecoder()
    dec.feed(encode_message(data))
    frames = list(dec.frames())
    assert [len(f.payload) for f in frames] == [MAX_MESSAGE_LENGTH, 10]
    with pytest.raises(ValueError):
        encode_packet(data)


frames_strategy = st.lists(
    st.one_of(
        st.binary(max_size=300).map(Packet),
        st.sampled_from(list(Signal)).map(SignalFrame),
    ),
    max_size=20,
)


@given(frames=frames_strategy, cuts=st.lists(st.integers(min_value=1, max_value=50), max_size=40))
def test_round_trip_with_arbitrary_chunking(frames, cuts):
    wire = b"".join(
        encode_signal(f.signal) if isinstance(f, SignalFrame) else encode_packet(f.payload)
        for f in frames
    )
    dec = FrameDecoder()
    out = []
    pos = 0
    for cut in cuts:
        dec.feed(wire[pos : pos + cut])
        pos += cut
        out.extend(dec.frames())
    dec.feed(wire[pos:])
    out.extend(dec.frames())
    assert out == frames
    assert dec.buffered == 0


@given(st.binary(max_size=64))
def test_garbage_never_crashes_untyped(data):
    dec = FrameDecoder(max_size=1000)
    dec.feed(data)
    try:
        list(dec.frames())
    except (OversizePacketError, UnknownSignalError):
        pass
