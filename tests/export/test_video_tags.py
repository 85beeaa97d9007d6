"""MP4: the index up front (+faststart) and BT.709 colour tags; colours survive the round trip."""

import av
import numpy as np

from genie_studio.export import ExportOptions, default_registry


def test_mp4_faststart_and_bt709(tmp_path):
    frames = [np.full((30, 40, 3), (200, 30, 60), np.uint8) for _ in range(8)]
    out = default_registry().get("mp4").export(frames, tmp_path / "a.mp4", ExportOptions(fps=10))[0]
    data = out.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")  # a browser can start playing at once
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        cc = s.codec_context
        assert (cc.color_primaries, cc.color_trc, cc.colorspace, cc.color_range) == (1, 1, 1, 1)  # BT.709, tv
        rgb = next(c.decode(s)).to_ndarray(format="rgb24")
    assert np.abs(rgb[10, 10].astype(int) - (200, 30, 60)).max() <= 6
