import os
import stat

import numpy as np
import pytest

from genie_studio.remote.auth import AuthError, check_token, ensure_token_file, is_loopback, read_token
from genie_studio.remote.limits import TokenBucket
from genie_studio.remote.wire import ENCODINGS, ProtocolError, decode_frame, encode_frame, field, pack, parse


@pytest.mark.parametrize("enc", ENCODINGS)
def test_frame_round_trip(enc):
    frame = np.random.default_rng(1).integers(0, 255, (12, 20, 3), dtype=np.uint8)
    out = decode_frame(encode_frame(frame, enc), enc, [12, 20, 3])
    assert out.dtype == np.uint8 and np.array_equal(out, frame)


def test_frame_mismatch_is_a_protocol_error():
    frame = np.zeros((8, 8, 3), np.uint8)
    for enc in ENCODINGS:
        with pytest.raises(ProtocolError):
            decode_frame(encode_frame(frame, enc), enc, [8, 9, 3])
    with pytest.raises(ProtocolError):
        decode_frame(b"garbage", "zlib", [8, 8, 3])
    with pytest.raises(ProtocolError):
        decode_frame(b"", "raw", [8, "x", 3])


def test_binary_framing():
    header, payload = parse(pack({"type": "open", "seed": 3}, b"\x89PNG..."))
    assert header == {"type": "open", "seed": 3} and payload == b"\x89PNG..."
    for bad in (b"", b"\x00\x00", b"\x00\x00\x00\x09{}", b"\xff\xff\xff\xff", b"\x00\x00\x00\x02\xff\xfe",
                b"\x00\x00\x00\x02[]"):
        with pytest.raises(ProtocolError):
            parse(bad)
    for bad in ("nope", "[1]", '{"type": 3}', '{"a": NaN}', "{" * 5000):
        with pytest.raises(ProtocolError) as e:
            parse(bad)
        assert e.value.code == "bad_message"


def test_field_validation():
    msg = {"type": "open", "seed": -1, "steps": True, "t": float("nan"), "enc": "gif"}
    with pytest.raises(ProtocolError, match="seed must be in"):
        field(msg, "seed", int, 0, 0, 10)
    with pytest.raises(ProtocolError, match="steps must be int"):
        field(msg, "steps", int, 4)
    with pytest.raises(ProtocolError):
        field(msg, "enc", ENCODINGS)
    with pytest.raises(ProtocolError, match="missing"):
        field(msg, "session", str)
    assert field({"x": 2}, "x", float) == 2.0


def test_loopback_detection():
    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "127.5.0.1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.4", "example.com", ""))


def test_token_file_created_private_and_compared(tmp_path):
    f = tmp_path / "sub" / "token"
    token, created = ensure_token_file(f)
    assert created and len(token) >= 32
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert ensure_token_file(f) == (token, False)
    assert check_token(token, token) and not check_token(token, token[:-1] + "x")
    assert not check_token(token, None) and not check_token(token, 5) and check_token(None, None)
    (tmp_path / "short").write_text("abc\n")
    with pytest.raises(AuthError, match="at least 16"):
        read_token(tmp_path / "short")
    with pytest.raises(AuthError, match="not found"):
        read_token(tmp_path / "missing")


def test_token_bucket():
    now = [0.0]
    b = TokenBucket(rate=10, burst=2, clock=lambda: now[0])
    assert b.take() == 0 and b.take() == 0
    assert b.take() == pytest.approx(0.1)
    now[0] += 0.1
    assert b.take() == 0
