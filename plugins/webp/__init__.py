"""First-party exporter plugin: animated WebP (lossless by default), loaded from the repo's plugins/.

Shows the plugin interface (docs/export.md): subclass BaseExporter, implement ``write``, list it in
``EXPORTERS``. WebP keeps millisecond delays and full colour, at a fraction of a GIF's size.
"""

from PIL import Image, features

from genie_studio.export import BaseExporter, ExportError


class WebpExporter(BaseExporter):
    name = "webp"
    extensions = (".webp",)
    description = "animated WebP (lossless unless quality is given; ms delays)"
    options = {"quality": "0-100 for lossy WebP (default: lossless)"}

    def write(self, clip, out, ctx):
        if not features.check("webp"):
            raise ExportError("this Pillow was built without WebP support; install a Pillow wheel from PyPI")
        frames = []
        for i in range(len(clip)):
            ctx.step()
            frames.append(Image.fromarray(clip.frame(i), "RGB"))
        quality = ctx.options.extra.get("quality")
        kw = {"lossless": True, "quality": 100} if quality is None else {"lossless": False, "quality": int(quality)}
        frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], duration=clip.durations_ms,
                       loop=0 if clip.loop else 1, minimize_size=False, allow_mixed=False, **kw)


EXPORTERS = [WebpExporter]
