"""Video exporters: MP4 (H.264 + AAC) and WebM (VP9 + Opus) through PyAV, with the voice-over.

Frames are timed by their timestamps on MPEG's 90 kHz clock (TICKS), which holds 1/24, 1/25, 1/30 and
1/60 s exactly (MP4 keeps them exact; WebM stores whole milliseconds), so a recording with an uneven pace stays in
sync with its voice-over. Odd frame sizes are padded by one edge pixel (4:2:0 needs even sizes).
Colours are converted to YUV with the BT.709 matrix (limited range) and tagged BT.709 (primaries,
transfer, matrix), so players show the colours the game drew; MP4s carry their index up front
(``+faststart``) so a browser starts playing before the whole file has arrived.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from genie_studio.export.base import BaseExporter, Clip, Context, ExportError


def _even(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    if h % 2 or w % 2:
        frame = np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return frame


def clip_audio(clip: Clip) -> tuple[np.ndarray, int] | None:
    """The voice-over cut to the clip: sample 0 at the clip's first frame, as long as the clip."""
    if clip.audio is None:
        return None
    samples, rate = clip.audio
    start = round(-clip.audio_offset * rate)
    if start >= 0:
        samples = samples[start:]
    else:
        samples = np.concatenate([np.zeros((-start, samples.shape[1]), samples.dtype), samples])
    samples = samples[:round(clip.duration * rate)]
    return (samples, rate) if len(samples) else None


BT709 = 1  # AVCOL_PRI_BT709 = AVCOL_TRC_BT709 = AVCOL_SPC_BT709
LIMITED_RANGE = 1  # AVCOL_RANGE_MPEG
TICKS = 90000  # video time base 1/90000 s


def _yuv709(frame: np.ndarray) -> av.VideoFrame:
    """An RGB frame as BT.709 limited-range yuv420p, tagged as such."""
    vf = av.VideoFrame.from_ndarray(_even(frame), format="rgb24")
    return vf.reformat(format="yuv420p", src_colorspace="ITU709", dst_colorspace="ITU709",
                       src_color_range="JPEG", dst_color_range="MPEG", dst_color_trc=BT709,
                       dst_color_primaries=BT709)


class _VideoExporter(BaseExporter):
    vcodec = acodec = ""
    arate: int | None = None
    container_options: dict[str, str] = {}
    options = {"crf": "quality, lower is better (default 18)"}

    def write(self, clip: Clip, out: Path, ctx: Context) -> None:
        crf = str(int(ctx.options.extra.get("crf", 18)))
        try:
            container = av.open(str(out), mode="w", options=dict(self.container_options))
        except (OSError, av.FFmpegError) as e:
            raise ExportError(f"cannot open {out} for writing: {e}") from None
        try:
            w, h = _even(clip.frame(0)).shape[1::-1]
            vs = container.add_stream(self.vcodec, rate=Fraction(clip.fps).limit_denominator(1000))
            vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
            vs.codec_context.time_base = Fraction(1, TICKS)
            cc = vs.codec_context
            cc.color_primaries, cc.color_trc, cc.colorspace, cc.color_range = BT709, BT709, BT709, LIMITED_RANGE
            vs.options = {"crf": crf} if self.vcodec == "libx264" else {"crf": crf, "b:v": "0"}
            audio = clip_audio(clip)
            astream = None
            if audio is not None:
                rate = self.arate or audio[1]
                astream = container.add_stream(self.acodec, rate=rate)
                astream.layout = "mono" if audio[0].shape[1] == 1 else "stereo"
            last = -1
            for i in range(len(clip)):
                ctx.step()
                vf = _yuv709(clip.frame(i))
                pts = max(last + 1, round(clip.timestamps[i] * TICKS))
                vf.pts, vf.time_base, last = pts, Fraction(1, TICKS), pts
                container.mux(vs.encode(vf))
            container.mux(vs.encode(None))
            if astream is not None:
                _encode_audio(container, astream, *audio)
        finally:
            container.close()


def _encode_audio(container, stream, samples: np.ndarray, rate: int) -> None:
    ch = samples.shape[1]
    layout = "mono" if ch == 1 else "stereo"
    src = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, :2]).reshape(1, -1), format="s16",
                                     layout=layout)
    src.sample_rate, src.pts, src.time_base = rate, 0, Fraction(1, rate)
    cc = stream.codec_context
    fmt = cc.codec.audio_formats[0].name if cc.codec.audio_formats else "fltp"
    resampler = av.AudioResampler(format=fmt, layout=layout, rate=stream.rate)
    fifo = av.AudioFifo()
    for f in resampler.resample(src) + resampler.resample(None):
        fifo.write(f)
    size = cc.frame_size or 1024
    pts = 0
    while fifo.samples:
        f = fifo.read(min(size, fifo.samples))
        if f.samples < size:  # pad the last frame to the codec's frame size with silence
            arr = f.to_ndarray()
            pad = np.zeros((arr.shape[0], size - f.samples if arr.shape[0] > 1 else (size - f.samples) * ch),
                           arr.dtype)
            f = av.AudioFrame.from_ndarray(np.concatenate([arr, pad], 1), format=fmt, layout=layout)
            f.sample_rate = stream.rate
        f.pts, f.time_base = pts, Fraction(1, stream.rate)
        pts += f.samples
        container.mux(stream.encode(f))
    container.mux(stream.encode(None))


class Mp4Exporter(_VideoExporter):
    name = "mp4"
    extensions = (".mp4",)
    description = "MP4 video (H.264, AAC voice-over), plays everywhere"
    vcodec, acodec = "libx264", "aac"
    container_options = {"movflags": "+faststart"}


class WebmExporter(_VideoExporter):
    name = "webm"
    extensions = (".webm",)
    description = "WebM video (VP9, Opus voice-over) for the web"
    vcodec, acodec, arate = "libvpx-vp9", "libopus", 48000
