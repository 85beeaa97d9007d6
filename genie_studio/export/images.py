"""Image exporters: PNG sequence, GIF and APNG (Pillow)."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from genie_studio.export.apng import write_apng
from genie_studio.export.base import BaseExporter, Clip, Context


def gif_delays_cs(durations_ms: list[float]) -> list[int]:
    """Frame durations in ms -> GIF delays in centiseconds (GIF's unit).

    Each delay is rounded so that the *running total* stays within 5 ms of the true time: at 15 fps
    (66.7 ms) the delays go 7, 6, 7, 7, 6, 7... and a 20 s clip still lasts 20 s. Delays below 2 cs are
    raised to 2 cs because browsers slow such frames down to 10 cs; so fps above 50 play at 50.
    Prefer an fps that divides 100 (10, 20, 25, 50) for perfectly even frames.
    """
    out, target, done = [], 0.0, 0
    for d in durations_ms:
        target += d / 10.0
        cs = max(2, round(target) - done)
        out.append(cs)
        done += cs
    return out


def _pil_frames(clip: Clip, ctx: Context):
    for i in range(len(clip)):
        ctx.step()
        yield Image.fromarray(clip.frame(i), "RGB")


class PngSequenceExporter(BaseExporter):
    name = "png"
    extensions = ()
    description = "a folder of numbered PNG frames plus NAME.json with the timing"
    writes_folder = True

    def write(self, clip: Clip, out: Path, ctx: Context) -> None:
        files = []
        for i, img in enumerate(_pil_frames(clip, ctx)):
            fname = f"{clip.name}_{i:05d}.png"
            img.save(out / fname, format="PNG")
            files.append(fname)
        (out / f"{clip.name}.json").write_text(json.dumps({
            "frames": files, "durations_ms": clip.durations_ms, "fps": clip.fps, "loop": clip.loop,
            "size": list(clip.size), "name": clip.name}, indent=2) + "\n", encoding="utf-8")


class GifExporter(BaseExporter):
    name = "gif"
    extensions = (".gif",)
    description = "animated GIF (delays in centiseconds; see gif_delays_cs)"

    def write(self, clip: Clip, out: Path, ctx: Context) -> None:
        frames = list(_pil_frames(clip, ctx))
        delays = gif_delays_cs([d * 1000 for d in clip.durations])
        kw = {"loop": 0} if clip.loop else {}
        frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:],
                       duration=[d * 10 for d in delays], disposal=1, optimize=False, **kw)


class ApngExporter(BaseExporter):
    name = "apng"
    extensions = (".png", ".apng")
    description = "animated PNG, lossless, exact delays (1/30 s at 30 frames/s)"

    def write(self, clip: Clip, out: Path, ctx: Context) -> None:
        def frames():
            for i in range(len(clip)):
                ctx.step()
                yield clip.frame(i)

        write_apng(out, frames(), clip.durations_exact, loop=clip.loop)
